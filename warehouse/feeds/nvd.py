"""NVD CVE API 2.0 JSON (API pages, `{"cve": ...}` items, JSONL, gzip feed files) to flat rows.

Two tables come out: `cves` (one row per CVE: dates, status, English description, CVSS v2 / v3.0 /
v3.1 / v4.0, the best score, CWEs, CISA KEV dates) and `cpe_matches` (every `cpeMatch` of every
configuration node, with its parsed CPE components and version bounds). Unknown fields are ignored,
as NVD keeps adding them (`cveTags`, `ssvcV203`, ...); a wrong shape raises NvdShapeError.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from warehouse.cpe import FIELDS, parse_cpe
from warehouse.errors import CpeParseError, NvdParseError, NvdShapeError

# NVD's metric keys, newest first: the best score is the newest CVSS version present.
_METRICS = (("v40", "cvssMetricV40"), ("v31", "cvssMetricV31"), ("v30", "cvssMetricV30"),
            ("v2", "cvssMetricV2"))
_VERSION_NAMES = {"v40": "4.0", "v31": "3.1", "v30": "3.0", "v2": "2.0"}
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")
_BOUNDS = ("versionStartIncluding", "versionStartExcluding", "versionEndIncluding", "versionEndExcluding")

CVE_SCHEMA: dict[str, str] = {
    "cve_id": "string", "source_identifier": "string", "published": "timestamp",
    "last_modified": "timestamp", "status": "string", "description_en": "string",
    **{f"cvss_{v}_{k}": t for v, _ in _METRICS for k, t in
       (("score", "float64"), ("severity", "string"), ("vector", "string"))},
    "cvss_score": "float64", "cvss_version": "string", "cvss_severity": "string",
    "cwes": "list<string>", "kev_added": "date", "kev_due": "date", "kev_action": "string",
    "kev_name": "string", "tags": "list<string>",
}
CPE_MATCH_SCHEMA: dict[str, str] = {
    "cve_id": "string", "config_index": "int64", "config_operator": "string",
    "config_negate": "bool", "node_index": "int64", "operator": "string", "negate": "bool",
    "vulnerable": "bool", "criteria": "string", "match_criteria_id": "string",
    **{name: "string" for name in FIELDS},
    "version_start_including": "string", "version_start_excluding": "string",
    "version_end_including": "string", "version_end_excluding": "string",
}


class NvdRecords(NamedTuple):
    """The two flat tables parsed from NVD JSON, as lists of dicts (see CVE_SCHEMA, CPE_MATCH_SCHEMA)."""

    cves: list[dict[str, Any]]
    cpe_matches: list[dict[str, Any]]


def _decode(raw: bytes, where: str) -> str:
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise NvdParseError(f"{where}: broken gzip data: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NvdParseError(f"{where}: not UTF-8 text: {exc}") from exc


def items_from_document(doc: Any, where: str = "document") -> list[dict[str, Any]]:
    """The `{"cve": ...}` items of one parsed JSON document (an API response or a bare item)."""
    if not isinstance(doc, dict):
        raise NvdShapeError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    if "cve" in doc:
        return [doc]
    if "vulnerabilities" in doc:
        items = doc["vulnerabilities"]
        if not isinstance(items, list):
            raise NvdShapeError(f"{where}: `vulnerabilities` must be a list")
        return items
    if "matchStrings" in doc:
        raise NvdShapeError(f"{where}: a CPE Match API response, not CVE records")
    raise NvdShapeError(f"{where}: neither a CVE API 2.0 response nor a {{\"cve\": ...}} item")


def read_items(source: str | Path | bytes, name: str | None = None) -> list[dict[str, Any]]:
    """Raw `{"cve": ...}` items from a file or bytes: a response, an item, JSONL, or any of them gzipped."""
    if isinstance(source, bytes):
        where, raw = name or "<bytes>", source
    else:
        where = name or str(source)
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise NvdParseError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    text = _decode(raw, where)
    if not text.strip():
        raise NvdParseError(f"{where}: empty input")
    try:
        return items_from_document(json.loads(text), where)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise NvdParseError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError:  # nested past the interpreter's stack: no NVD document is
        raise NvdParseError(f"{where}: JSON nested too deeply") from None
    # More than one JSON value: JSON Lines, one item (or response) per line.
    items: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NvdParseError(f"{where}: invalid JSON on line {lineno}: {exc.msg}") from exc
        except RecursionError:
            raise NvdParseError(f"{where}: JSON nested too deeply on line {lineno}") from None
        items.extend(items_from_document(doc, f"{where} line {lineno}"))
    return items


def _timestamp(value: Any, field: str, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise NvdShapeError(f"{where}: `{field}` is not an ISO timestamp: {value!r}") from exc
    # NVD writes UTC without an offset.
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _date(value: Any, field: str, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise NvdShapeError(f"{where}: `{field}` is not a date: {value!r}") from exc


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NvdShapeError(f"{where}: `{key}` must be a list, got {type(value).__name__}")
    return value


def _metric(metrics: dict[str, Any], key: str, where: str) -> tuple[float | None, str | None, str | None]:
    entries = [m for m in _list(metrics, key, where) if isinstance(m, dict)]
    if not entries:
        return None, None, None
    # NVD's own (Primary) assessment wins over a CNA's (Secondary) when both are present.
    entry = next((m for m in entries if m.get("type") == "Primary"), entries[0])
    data = entry.get("cvssData")
    if not isinstance(data, dict):
        raise NvdShapeError(f"{where}: `{key}` entry has no `cvssData` object")
    score = data.get("baseScore")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise NvdShapeError(f"{where}: `{key}` baseScore is not a number: {score!r}")
    severity = data.get("baseSeverity") or entry.get("baseSeverity")  # v2 keeps it outside cvssData
    return (float(score) if score is not None else None), severity, data.get("vectorString")


def _cve_row(cve: dict[str, Any], where: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "cve_id": cve["id"],
        "source_identifier": cve.get("sourceIdentifier"),
        "published": _timestamp(cve.get("published"), "published", where),
        "last_modified": _timestamp(cve.get("lastModified"), "lastModified", where),
        "status": cve.get("vulnStatus"),
        "description_en": next((d.get("value") for d in _list(cve, "descriptions", where)
                                if isinstance(d, dict) and d.get("lang") == "en"), None),
    }
    metrics = cve.get("metrics")
    metrics = {} if metrics is None else metrics
    if not isinstance(metrics, dict):
        raise NvdShapeError(f"{where}: `metrics` must be an object")
    best: tuple[float, str, str | None] | None = None
    for short, key in _METRICS:
        score, severity, vector = _metric(metrics, key, where)
        row[f"cvss_{short}_score"], row[f"cvss_{short}_severity"], row[f"cvss_{short}_vector"] = (
            score, severity, vector)
        if best is None and score is not None:
            best = (score, _VERSION_NAMES[short], severity)
    row["cvss_score"], row["cvss_version"], row["cvss_severity"] = best or (None, None, None)
    cwes: list[str] = []
    for weakness in _list(cve, "weaknesses", where):
        for desc in _list(weakness, "description", where) if isinstance(weakness, dict) else []:
            value = desc.get("value") if isinstance(desc, dict) else None
            if isinstance(value, str) and desc.get("lang") == "en" and value not in cwes:
                cwes.append(value)
    row["cwes"] = cwes
    row["kev_added"] = _date(cve.get("cisaExploitAdd"), "cisaExploitAdd", where)
    row["kev_due"] = _date(cve.get("cisaActionDue"), "cisaActionDue", where)
    row["kev_action"] = cve.get("cisaRequiredAction")
    row["kev_name"] = cve.get("cisaVulnerabilityName")
    row["tags"] = sorted({t for tag in _list(cve, "cveTags", where) if isinstance(tag, dict)
                          for t in tag.get("tags") or [] if isinstance(t, str)})
    return row


def _match_rows(cve: dict[str, Any], where: str) -> Iterator[dict[str, Any]]:
    for ci, config in enumerate(_list(cve, "configurations", where)):
        if not isinstance(config, dict):
            raise NvdShapeError(f"{where}: configuration {ci} is not an object")
        for ni, node in enumerate(_list(config, "nodes", where)):
            if not isinstance(node, dict):
                raise NvdShapeError(f"{where}: configuration {ci} node {ni} is not an object")
            for match in _list(node, "cpeMatch", where):
                criteria = match.get("criteria") if isinstance(match, dict) else None
                if not isinstance(criteria, str):
                    raise NvdShapeError(f"{where}: configuration {ci} node {ni}: cpeMatch without criteria")
                try:
                    cpe = parse_cpe(criteria)
                except CpeParseError as exc:
                    raise NvdShapeError(f"{where}: {exc}") from exc
                yield {
                    "cve_id": cve["id"], "config_index": ci,
                    "config_operator": config.get("operator") or "OR",
                    "config_negate": bool(config.get("negate", False)),
                    "node_index": ni, "operator": node.get("operator") or "OR",
                    "negate": bool(node.get("negate", False)),
                    "vulnerable": bool(match.get("vulnerable", True)),
                    "criteria": criteria, "match_criteria_id": match.get("matchCriteriaId"),
                    **cpe._asdict(),
                    **{_snake(b): match.get(b) for b in _BOUNDS},
                }


def _snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), name)


def parse_items(items: Iterable[Any], where: str = "items") -> NvdRecords:
    """Flatten `{"cve": ...}` items; a CVE seen twice keeps its most recently modified version."""
    latest: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for n, item in enumerate(items):
        cve = item.get("cve") if isinstance(item, dict) else None
        if not isinstance(cve, dict):
            raise NvdShapeError(f"{where}[{n}]: expected {{\"cve\": {{...}}}}")
        cve_id = cve.get("id")
        if not isinstance(cve_id, str) or not _CVE_ID.fullmatch(cve_id):
            raise NvdShapeError(f"{where}[{n}]: missing or malformed CVE id: {cve_id!r}")
        row = _cve_row(cve, cve_id)
        seen = latest.get(cve_id)
        if seen and (seen[0]["last_modified"] or datetime.min.replace(tzinfo=UTC)) > (
                row["last_modified"] or datetime.min.replace(tzinfo=UTC)):
            continue
        latest[cve_id] = (row, list(_match_rows(cve, cve_id)))
    cves = [latest[k][0] for k in sorted(latest)]
    matches = [m for k in sorted(latest) for m in latest[k][1]]
    return NvdRecords(cves, matches)


def load(*sources: str | Path) -> NvdRecords:
    """Read and flatten NVD JSON files (any mix of responses, items, JSONL and .gz feeds)."""
    items: list[dict[str, Any]] = []
    for source in sources:
        items.extend(read_items(source))
    return parse_items(items)


def last_modified(item: dict[str, Any]) -> datetime | None:
    """An item's `lastModified` as an aware datetime (None when absent), for incremental filters."""
    cve = item.get("cve") if isinstance(item, dict) else None
    return _timestamp(cve.get("lastModified"), "lastModified", "item") if isinstance(cve, dict) else None
