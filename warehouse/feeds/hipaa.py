"""The HIPAA Security Rule to NIST SP 800-53 rev5 crosswalk (NIST's SP 800-66r2 OLIR set), as rows.

Source ids are CPRT's zero-padded ones (`AC-02`, `CP-02(08)`); rows carry them normalised to OSCAL
ids (`ac-2`, `cp-2.8`) so they join the catalog. Element titles come from the regulation text
(45 CFR 164 subpart C) where a paragraph has one, else from the HIPAA OSCAL catalog's standards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from warehouse.errors import CrosswalkError

CROSSWALK_FILE = "sp800-66r2_cprt-extraction.json"
REGULATION_FILE = "45cfr164-subpartC_verbatim.txt"
HIPAA_CATALOG_FILE = "hipaa-2.0.0_oscal-catalog.json"
SP800_53_SET = "SP 800-53 Rev 5.1.1"
CROSSWALK_SCHEMA = {
    "hipaa_element": "string", "element_type": "string", "section": "string",
    "element_title": "string", "requirement": "string", "control_id": "string",
    "source_control_id": "string", "target_type": "string", "control_title": "string",
}
_CONTROL = re.compile(r"\s*([A-Za-z]{2})-0*(\d+)\s*(?:\(\s*0*(\d+)\s*\))?\s*")
_ELEMENT = re.compile(r"164\.\d{3}(?:\([0-9a-zA-Z]+\))*")
_SECTION = re.compile(r"^§\s*(164\.\d+)\s")
_LABELS = re.compile(r"^((?:\([0-9A-Za-z]+\))+)\s*")
_TITLE = re.compile(r"^(?:Standard:\s*|Implementation specifications?:\s*)?"
                    r"(?P<title>[A-Z][^.()—:;]*?)\s*(?:\((?P<req>Required|Addressable)\))?\.(?:\s|$)")
_INLINE = re.compile(r"^Implementation specifications?\s*(?:\((Required|Addressable)\))?\s*[—:-]\s*(\([ivx]+\))\s*")
_ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]


def normalize_control_id(raw: str) -> str:
    """CPRT / printed 800-53 ids to OSCAL ids: `AC-02` -> `ac-2`, `CP-02(08)` -> `cp-2.8`."""
    match = _CONTROL.fullmatch(raw) if isinstance(raw, str) else None
    if not match:
        raise CrosswalkError(f"not an SP 800-53 control id: {raw!r}")
    family, number, enhancement = match.groups()
    oscal = f"{family.lower()}-{int(number)}"
    return f"{oscal}.{int(enhancement)}" if enhancement else oscal


def _level(label: str, path: list[str]) -> int:
    """CFR paragraph depth: (a) letters, (1) numbers, (i) roman numerals, (A) capitals."""
    if label.isdigit():
        return 1
    if label.isupper():
        return 3
    # (i), (v), (x) are letters as well as numerals: under a numbered paragraph they are roman
    # when they start or continue its roman sequence; (ii), (iv) can only be roman.
    if label in _ROMAN and len(path) >= 2:
        prev = path[2] if len(path) >= 3 else None
        if len(label) > 1 or label == "i" or (prev in _ROMAN and _ROMAN.index(label) == _ROMAN.index(prev) + 1):
            return 2
    return 0


def regulation_titles(text: str) -> dict[str, tuple[str, str | None]]:
    """Paragraph id (`164.308(a)(1)(ii)(A)`) -> (title, Required/Addressable) from the rule's text."""
    titles: dict[str, tuple[str, str | None]] = {}
    required: dict[str, str] = {}  # "Implementation specifications (Required)" applies to children
    section, path = None, []
    for line in text.splitlines():
        if m := _SECTION.match(line):
            section, path = m.group(1), []
            continue
        if section is None or not (m := _LABELS.match(line)):
            continue
        rest = line[m.end():]
        labels = re.findall(r"\(([0-9A-Za-z]+)\)", m.group(1))
        for i, label in enumerate(labels):
            path = path[: _level(label, path) if i == 0 else len(path)] + [label]
        if inline := _INLINE.match(rest):
            if inline.group(1):
                required[section + "".join(f"({p})" for p in path)] = inline.group(1)
            path = path + [inline.group(2).strip("()")]
            rest = rest[inline.end():]
        ident = section + "".join(f"({p})" for p in path)
        t = _TITLE.match(rest)
        if not t:
            continue
        req = t.group("req") or next((required[k] for k in sorted(required, key=len, reverse=True)
                                      if ident.startswith(k)), None)
        if t.group("title").strip().startswith("Implementation specification"):
            if t.group("req"):
                required[ident] = t.group("req")
            continue
        titles[ident] = (t.group("title").strip(), req)
    return titles


def _catalog_standards(doc: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(group: dict[str, Any]) -> None:
        for prop in group.get("props") or []:
            if prop.get("name") in ("standards-identifiers", "security-rule-identifiers"):
                out[prop.get("value", "")] = group.get("title", "")
        for sub in group.get("groups") or []:
            walk(sub)

    for group in (doc.get("catalog") or {}).get("groups") or []:
        walk(group)
    return out


def _title(element: str, titles: dict[str, tuple[str, str | None]], standards: dict[str, str]):
    # CPRT names paragraphs a level coarser than the CFR in places: 164.310(a) is (a)(1).
    for candidate in (element, element + "(1)", element + "(i)", element + "(1)(i)"):
        if candidate in titles:
            return titles[candidate]
    return (standards[element], None) if element in standards else (None, None)


def parse_crosswalk(doc: Any, *, regulation: str = "", hipaa_catalog: dict[str, Any] | None = None,
                    catalog_titles: dict[str, str] | None = None, where: str = "crosswalk") -> list[dict[str, Any]]:
    """The SP 800-53 rows of the CPRT extraction, normalised; `catalog_titles` adds control titles."""
    rows = doc.get("rows") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise CrosswalkError(f"{where}: expected an object with a `rows` list")
    titles = regulation_titles(regulation)
    standards = _catalog_standards(hipaa_catalog or {})
    out = []
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            raise CrosswalkError(f"{where}: row {n} is not an object")
        if row.get("set") != SP800_53_SET:
            continue
        element, target = row.get("security_rule_element"), row.get("target_id")
        if not isinstance(element, str) or not _ELEMENT.fullmatch(element):
            raise CrosswalkError(f"{where}: row {n}: bad Security Rule element {element!r}")
        try:
            control_id = normalize_control_id(target)
        except CrosswalkError as exc:
            raise CrosswalkError(f"{where}: row {n}: {exc}") from exc
        title, requirement = _title(element, titles, standards)
        out.append({
            "hipaa_element": element, "element_type": row.get("security_rule_element_type"),
            "section": element[:7], "element_title": title, "requirement": requirement,
            "control_id": control_id, "source_control_id": target, "target_type": row.get("target_type"),
            "control_title": (catalog_titles or {}).get(control_id),
        })
    return out


def load_crosswalk(directory: str | Path, catalog_titles: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Read the crosswalk and its title sources from a directory laid out like shared/data/hipaa."""
    directory = Path(directory)
    try:
        doc = json.loads((directory / CROSSWALK_FILE).read_bytes())
    except OSError as exc:
        raise CrosswalkError(f"{directory / CROSSWALK_FILE}: cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CrosswalkError(f"{directory / CROSSWALK_FILE}: not valid JSON: {exc}") from exc
    reg = directory / REGULATION_FILE
    cat = directory / HIPAA_CATALOG_FILE
    try:
        regulation = reg.read_text(encoding="utf-8") if reg.is_file() else ""
        hipaa_catalog = json.loads(cat.read_bytes()) if cat.is_file() else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CrosswalkError(f"{directory}: unreadable title source: {exc}") from exc
    return parse_crosswalk(doc, regulation=regulation, hipaa_catalog=hipaa_catalog,
                           catalog_titles=catalog_titles, where=str(directory / CROSSWALK_FILE))


def unresolved(rows: list[dict[str, Any]], control_ids: set[str]) -> list[str]:
    """Crosswalk control ids that the catalog does not hold (empty when everything joins)."""
    return sorted({r["control_id"] for r in rows} - control_ids)
