"""Load the parsed reference feeds (NVD, OSCAL, HIPAA crosswalk) into DuckDB `feeds.*`.

The parsers in `warehouse.feeds` are pure; this module is the one place their rows meet the
warehouse. NVD loads are upserts by CVE id, one transaction per page, and the `lastModified` cursor
advances only after the last page, so an interrupted fetch repeats pages instead of skipping them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from warehouse.duck import count_rows, get_cursor, replace_table, set_cursor, upsert
from warehouse.errors import FeedShapeError
from warehouse.feeds import to_arrow
from warehouse.feeds.nvd import CPE_MATCH_SCHEMA, CVE_SCHEMA, parse_items
from warehouse.sql_files import sql

NVD_CURSOR = "nvd"
CHECK_CONTROLS_FILE = Path(__file__).parent / "reference" / "check_controls.yaml"
CHECK_CONTROL_SCHEMA = {"check_type": "string", "control_id": "string", "rationale": "string"}
BASELINE_SCHEMA = {"baseline": "string", "control_id": "string"}


@dataclass(frozen=True)
class NvdLoad:
    """What one NVD load did."""

    pages: int
    records: int
    cpe_matches: int
    cursor_before: datetime | None
    cursor_after: datetime | None
    total_cves: int


def load_nvd(con: duckdb.DuckDBPyConnection, pages: Iterable[Mapping[str, Any]]) -> NvdLoad:
    """Upsert every page's CVEs into `feeds.nvd_cves` / `feeds.nvd_cpe_matches`, then the cursor."""
    _, before = get_cursor(con, NVD_CURSOR)
    newest, n_pages, n_records, n_matches = before, 0, 0, 0
    for page in pages:
        records = parse_items(page.get("vulnerabilities") or [], where=str(page.get("source", "page")))
        n_pages += 1
        if not records.cves:
            continue
        con.begin()
        try:
            upsert(con, "feeds.nvd_cves", to_arrow(records.cves, CVE_SCHEMA), "cve_id")
            # A CVE's configurations are replaced whole, even when the new version has none.
            keys = to_arrow([{"cve_id": c["cve_id"]} for c in records.cves], {"cve_id": "string"})
            _ensure(con, "feeds.nvd_cpe_matches", CPE_MATCH_SCHEMA)
            _run_with_frame(con, keys, sql("duck/delete_keys").format(table="feeds.nvd_cpe_matches",
                                                                        key="cve_id"))
            upsert(con, "feeds.nvd_cpe_matches", to_arrow(records.cpe_matches, CPE_MATCH_SCHEMA), "cve_id")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        n_records += len(records.cves)
        n_matches += len(records.cpe_matches)
        stamps = [c["last_modified"] for c in records.cves if c["last_modified"] is not None]
        if stamps and (newest is None or max(stamps) > newest):
            newest = max(stamps)
    _ensure_empty_nvd(con)
    if newest is not None and newest != before:
        set_cursor(con, NVD_CURSOR, 0, newest)
    return NvdLoad(n_pages, n_records, n_matches, before, newest, count_rows(con, "feeds.nvd_cves"))


def _run_with_frame(con: duckdb.DuckDBPyConnection, frame: Any, statement: str) -> None:
    con.register("_frame", frame)
    try:
        con.execute(statement)
    finally:
        con.unregister("_frame")


def _ensure(con: duckdb.DuckDBPyConnection, table: str, schema: Mapping[str, str]) -> None:
    _run_with_frame(con, to_arrow([], schema), sql("duck/create_empty").format(table=table))


def _ensure_empty_nvd(con: duckdb.DuckDBPyConnection) -> None:
    # A first run that found nothing still leaves the tables, so the marts can read them.
    _ensure(con, "feeds.nvd_cves", CVE_SCHEMA)
    _ensure(con, "feeds.nvd_cpe_matches", CPE_MATCH_SCHEMA)


def store_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
               schema: Mapping[str, str]) -> int:
    """Replace `feeds.<table>` with parsed rows typed by a `warehouse.feeds` row schema."""
    return replace_table(con, table, to_arrow(rows, schema))


def read_check_controls(path: str | Path = CHECK_CONTROLS_FILE) -> list[dict[str, Any]]:
    """The check type → SP 800-53 control map as rows; FeedShapeError on a malformed file."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FeedShapeError(f"{path}: cannot read the check control map: {exc}") from exc
    if not isinstance(doc, dict):
        raise FeedShapeError(f"{path}: expected a mapping of check types")
    rows = []
    for check_type, spec in doc.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("controls"), list) or not spec["controls"]:
            raise FeedShapeError(f"{path}: {check_type}: needs a non-empty `controls` list")
        for control in spec["controls"]:
            if not isinstance(control, str) or not control.strip():
                raise FeedShapeError(f"{path}: {check_type}: control ids must be strings")
            rows.append({"check_type": str(check_type), "control_id": control.strip().lower(),
                         "rationale": spec.get("why")})
    return rows


def ensure_feed_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create any `feeds.*` table not loaded yet, empty, so the marts can run before the feeds have;
    returns the tables that were missing."""
    from warehouse.duck import table_exists
    from warehouse.feeds.hipaa import CROSSWALK_SCHEMA
    from warehouse.feeds.oscal import CONTROL_SCHEMA, GROUP_SCHEMA, PARAM_SCHEMA

    schemas = {"nvd_cves": CVE_SCHEMA, "nvd_cpe_matches": CPE_MATCH_SCHEMA, "oscal_groups": GROUP_SCHEMA,
               "oscal_controls": CONTROL_SCHEMA, "oscal_params": PARAM_SCHEMA,
               "oscal_baselines": BASELINE_SCHEMA,
               "hipaa_crosswalk": CROSSWALK_SCHEMA, "check_controls": CHECK_CONTROL_SCHEMA}
    missing = [name for name in schemas if not table_exists(con, "feeds", name)]
    for name in missing:
        _ensure(con, f"feeds.{name}", schemas[name])
    return missing
