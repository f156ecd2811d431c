"""OSCAL catalogs (NIST SP 800-53 rev5) to flat rows, and profile (baseline) resolution.

A catalog gives `groups`, `controls` (controls and their enhancements, withdrawn flagged, the
statement flattened to prose with parameters written the way NIST prints them) and `params`.
`resolve_profile` follows a profile's imports (a file, or a `#uuid` back-matter resource whose
rlinks name a file; NIST's 5.0.1 profiles name the `.xml` catalog, so a `.json` sibling is used)
and applies `include-all` / `include-controls` / `exclude-controls`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.errors import OscalImportError, OscalParseError, OscalShapeError

GROUP_SCHEMA = {"group_id": "string", "title": "string", "class": "string", "controls": "int64"}
CONTROL_SCHEMA = {
    "control_id": "string", "group_id": "string", "parent_id": "string", "kind": "string",
    "class": "string", "label": "string", "sort_id": "string", "title": "string",
    "withdrawn": "bool", "incorporated_into": "list<string>", "statement": "string",
}
PARAM_SCHEMA = {"param_id": "string", "control_id": "string", "label": "string",
                "how_many": "string", "choices": "list<string>", "values": "list<string>"}
_INSERT = re.compile(r"\{\{\s*insert:\s*param,\s*([\w.\-]+)\s*\}\}")


def read_json(path: str | Path, kind: str) -> dict[str, Any]:
    """Load one OSCAL JSON file and return its root object (`catalog`, `profile`, ...)."""
    try:
        doc = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise OscalParseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OscalParseError(f"{path}: not valid JSON: {exc}") from exc
    except RecursionError:  # nested past the interpreter's stack: no OSCAL document is
        raise OscalParseError(f"{path}: not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(kind), dict):
        found = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise OscalShapeError(f"{path}: not an OSCAL {kind} (top level: {found})")
    return doc[kind]


@dataclass
class Catalog:
    """A parsed OSCAL catalog: flat rows plus what profile resolution needs."""

    uuid: str
    title: str
    version: str
    path: Path | None
    groups: list[dict[str, Any]] = field(default_factory=list)
    controls: list[dict[str, Any]] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts: families, controls, enhancements, withdrawn (controls + enhancements)."""
        return {
            "groups": len(self.groups),
            "controls": sum(1 for c in self.controls if c["kind"] == "control"),
            "enhancements": sum(1 for c in self.controls if c["kind"] == "enhancement"),
            "withdrawn": sum(1 for c in self.controls if c["withdrawn"]),
        }

    def by_id(self) -> dict[str, dict[str, Any]]:
        """Control rows keyed by id."""
        return {c["control_id"]: c for c in self.controls}


def _prop(obj: dict[str, Any], name: str) -> str | None:
    return next((p.get("value") for p in obj.get("props") or [] if p.get("name") == name), None)


def _render(prose: str, params: dict[str, dict[str, Any]], depth: int = 0) -> str:
    """Write `{{ insert: param, x }}` as NIST prints it: [Assignment: ...] or [Selection: ...]."""

    def one(match: re.Match[str]) -> str:
        param = params.get(match.group(1))
        if param is None or depth > 3:
            return match.group(0)
        if param.get("values"):
            return ", ".join(param["values"])
        select = param.get("select")
        if isinstance(select, dict):
            choices = "; ".join(_render(str(c), params, depth + 1) for c in select.get("choice") or [])
            many = " (one or more)" if select.get("how-many") == "one-or-more" else ""
            return f"[Selection{many}: {choices}]"
        return f"[Assignment: {param.get('label', match.group(1))}]"

    return _INSERT.sub(one, prose)


def _statement(parts: list[dict[str, Any]], params: dict[str, dict[str, Any]]) -> str | None:
    lines: list[str] = []

    def walk(part: dict[str, Any], depth: int) -> None:
        label = _prop(part, "label")
        prose = _render((part.get("prose") or "").strip(), params)
        text = " ".join(x for x in (label, prose) if x)
        if text:
            lines.append("  " * depth + text)
        for child in part.get("parts") or []:
            walk(child, depth + (1 if text else 0))

    for part in parts:
        if part.get("name") == "statement":
            walk(part, 0)
    return "\n".join(lines) or None


@contextmanager
def _shape_errors(where: str) -> Iterator[None]:
    # The walkers read untyped JSON: a value of the wrong type deep inside (a list where an object
    # belongs, a number for an id) surfaces as one of these, and for the caller it is a shape error.
    try:
        yield
    except (AttributeError, TypeError, KeyError, RecursionError) as exc:
        raise OscalShapeError(f"{where}: unexpected shape ({type(exc).__name__}: {exc})") from None


def parse_catalog(doc: dict[str, Any], path: str | Path | None = None) -> Catalog:
    """Flatten a catalog object (the value of the top-level `catalog` key)."""
    with _shape_errors(str(path or "catalog")):
        return _parse_catalog(doc, path)


def _parse_catalog(doc: dict[str, Any], path: str | Path | None) -> Catalog:
    where = str(path or "catalog")
    groups = doc.get("groups")
    if not isinstance(groups, list):
        raise OscalShapeError(f"{where}: catalog has no `groups` list")
    raw: list[tuple[dict[str, Any], str, str | None]] = []

    def collect(controls: Any, group_id: str, parent: str | None) -> None:
        if not isinstance(controls, list):
            raise OscalShapeError(f"{where}: `controls` of {parent or group_id} is not a list")
        for control in controls:
            if not isinstance(control, dict) or not isinstance(control.get("id"), str):
                raise OscalShapeError(f"{where}: a control under {parent or group_id} has no id")
            raw.append((control, group_id, parent))
            collect(control.get("controls") or [], group_id, control["id"])

    catalog = Catalog(uuid=doc.get("uuid", ""), title=(doc.get("metadata") or {}).get("title", ""),
                      version=(doc.get("metadata") or {}).get("version", ""),
                      path=Path(path) if path else None)
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("id"), str):
            raise OscalShapeError(f"{where}: a group has no id")
        before = len(raw)
        collect(group.get("controls") or [], group["id"], None)
        catalog.groups.append({"group_id": group["id"], "title": group.get("title"),
                               "class": group.get("class"),
                               "controls": sum(1 for _, _, p in raw[before:] if p is None)})
    params = {p["id"]: p for c, _, _ in raw for p in c.get("params") or [] if isinstance(p, dict) and "id" in p}
    for control, group_id, parent in raw:
        links = control.get("links") or []
        catalog.controls.append({
            "control_id": control["id"], "group_id": group_id, "parent_id": parent,
            "kind": "enhancement" if parent else "control", "class": control.get("class"),
            "label": _prop(control, "label"), "sort_id": _prop(control, "sort-id"),
            "title": control.get("title"), "withdrawn": _prop(control, "status") == "withdrawn",
            "incorporated_into": [ln["href"].lstrip("#") for ln in links
                                  if ln.get("rel") in ("incorporated-into", "moved-to") and "href" in ln],
            "statement": _statement(control.get("parts") or [], params),
        })
        for p in control.get("params") or []:
            select = p.get("select") if isinstance(p.get("select"), dict) else {}
            catalog.params.append({
                "param_id": p.get("id"), "control_id": control["id"], "label": p.get("label"),
                "how_many": select.get("how-many") or ("one" if select else None),
                "choices": [_render(str(c), params) for c in select.get("choice") or []],
                "values": [str(v) for v in p.get("values") or []],
            })
    return catalog


def load_catalog(path: str | Path) -> Catalog:
    """Read and flatten an OSCAL catalog JSON file."""
    return parse_catalog(read_json(path, "catalog"), path)


@dataclass
class Resolution:
    """The controls a profile selects from its catalog(s), in catalog order."""

    title: str
    catalog: Catalog
    selected: list[str]
    missing: list[str]

    def summary(self) -> dict[str, int]:
        """Counts of the selection: all, controls, enhancements, families, withdrawn."""
        rows = [self.catalog.by_id()[i] for i in self.selected]
        return {"selected": len(rows),
                "selected_controls": sum(1 for r in rows if r["kind"] == "control"),
                "selected_enhancements": sum(1 for r in rows if r["kind"] == "enhancement"),
                "selected_groups": len({r["group_id"] for r in rows}),
                "selected_withdrawn": sum(1 for r in rows if r["withdrawn"])}


def _candidates(href: str, profile: dict[str, Any], where: str) -> list[str]:
    if not href.startswith("#"):
        return [href]
    uid = href[1:]
    for res in (profile.get("back-matter") or {}).get("resources") or []:
        if res.get("uuid") == uid:
            links = [ln for ln in res.get("rlinks") or [] if isinstance(ln.get("href"), str)]
            # A JSON rendition first: it is what we can read without converting.
            links.sort(key=lambda ln: "json" not in (ln.get("media-type") or ""))
            return [ln["href"] for ln in links]
    raise OscalImportError(f"{where}: import {href} names no back-matter resource")


def _locate(href: str, base: Path, catalog: Catalog | None) -> Path | Catalog | None:
    name = href.split("?")[0].split("#")[0].removeprefix("file://")
    stem = Path(name).stem
    if catalog is not None and catalog.path is not None and stem == catalog.path.stem:
        return catalog
    if "://" in name:
        return None  # no network fetches: a remote import must be given as `catalog`
    path = (base / name).resolve()
    for option in (path, path.with_suffix(".json")):
        if option.is_file():
            return option
    return None


def _model(path: Path) -> str:
    """The OSCAL model a file holds: its one top-level key (`catalog`, `profile`, ...)."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise OscalParseError(f"{path}: not readable JSON: {exc}") from exc
    keys = [k for k in doc if k != "$schema"] if isinstance(doc, dict) else []
    return keys[0] if len(keys) == 1 else ""


def _selectors(spec: list[dict[str, Any]] | None, order: list[str], children: dict[str, list[str]]) -> set[str]:
    chosen: set[str] = set()
    for sel in spec or []:
        ids = [i for i in sel.get("with-ids") or [] if isinstance(i, str)]
        ids += [i for m in sel.get("matching") or [] for i in order if fnmatch.fnmatchcase(i, m.get("pattern", ""))]
        for cid in ids:
            chosen.add(cid)
            if sel.get("with-child-controls") == "yes":
                stack = list(children.get(cid, []))
                while stack:
                    kid = stack.pop()
                    chosen.add(kid)
                    stack.extend(children.get(kid, []))
    return chosen


def resolve_profile(path: str | Path, catalog: Catalog | None = None, _seen: frozenset[Path] = frozenset()) -> Resolution:
    """Resolve a profile's selection; `catalog`, when given, answers imports of a file of its name."""
    with _shape_errors(str(path)):
        return _resolve_profile(Path(path), catalog, _seen)


def _resolve_profile(path: Path, catalog: Catalog | None, _seen: frozenset[Path]) -> Resolution:
    path = path.resolve()
    if path in _seen:
        raise OscalImportError(f"{path}: profile imports itself (cycle)")
    profile = read_json(path, "profile")
    imports = profile.get("imports")
    if not isinstance(imports, list) or not imports:
        raise OscalShapeError(f"{path}: profile has no `imports`")
    base: Catalog | None = None
    selected: set[str] = set()
    asked: set[str] = set()
    for imp in imports:
        href = imp.get("href") if isinstance(imp, dict) else None
        if not isinstance(href, str):
            raise OscalShapeError(f"{path}: an import has no href")
        tried = _candidates(href, profile, str(path))
        found = next((x for x in (_locate(h, path.parent, catalog) for h in tried) if x is not None), None)
        if found is None:
            raise OscalImportError(f"{path}: cannot resolve import {href} (tried {', '.join(tried)})")
        if isinstance(found, Path):
            kind = _model(found)
            if kind == "profile":
                inner = resolve_profile(found, catalog, _seen | {path})
                source, available = inner.catalog, inner.selected
            else:
                source = parse_catalog(read_json(found, "catalog"), found)
                available = [c["control_id"] for c in source.controls]
        else:
            source, available = found, [c["control_id"] for c in found.controls]
        if base is not None and source.uuid != base.uuid:
            raise OscalImportError(f"{path}: imports from two different catalogs are not supported")
        base = source
        children: dict[str, list[str]] = {}
        for row in source.controls:
            if row["parent_id"]:
                children.setdefault(row["parent_id"], []).append(row["control_id"])
        if "include-all" in imp:
            chosen = set(available)
        elif "include-controls" in imp:
            chosen = _selectors(imp["include-controls"], available, children)
            asked |= chosen
        else:
            raise OscalShapeError(f"{path}: import {href} has neither include-all nor include-controls")
        chosen -= _selectors(imp.get("exclude-controls"), available, children)
        selected |= chosen & set(available)
    assert base is not None
    order = [c["control_id"] for c in base.controls if c["control_id"] in selected]
    known = {c["control_id"] for c in base.controls}
    return Resolution(title=(profile.get("metadata") or {}).get("title", ""), catalog=base,
                      selected=order, missing=sorted(asked - known))
