"""Checks of the `ingest` group; a failing check lists its offending rows in its metadata.

- every raw table: each event id loaded once, and its row count reconciles with Postgres;
- `stg_l2_decisions`: no PHI in L2 telemetry text (it must have left the device scrubbed);
- `stg_check_results`: every site reported a check result recently (data freshness).
"""

import asyncio
from datetime import UTC, datetime, timedelta

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, MetadataValue, asset_check

from pipelines.ingest.assets import RAW, STAGING
from pipelines.ingest.transforms import MAX_LISTED, phi_findings, reconcile, silent_sites
from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.duck import get_cursor, table_exists
from warehouse.ingest import TELEMETRY_TABLES, pg_count_upto, pg_seqs_upto
from warehouse.pg import connect
from warehouse.sql_files import sql

SILENT_AFTER = timedelta(hours=26)
"""A site with no check result for this long has a silent appliance (checks run at least daily)."""


def _rows(con, query: str, params: dict | None = None) -> list[dict]:
    return con.execute(query, params or {}).pl().to_dicts()


def unique_event_ids_check(table: str) -> AssetChecksDefinition:
    """Each event id appears once in `raw.<table>` (Postgres stores each once, so a repeat is our bug)."""

    @asset_check(asset=RAW[table], name="unique_event_ids",
                 description=f"Every event id in raw.{table} was loaded exactly once.")
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.connect() as con:
            dupes = _rows(con, sql("checks/duplicate_event_ids").format(table=table)) \
                if table_exists(con, "raw", table) else []
        return AssetCheckResult(passed=not dupes, severity=AssetCheckSeverity.ERROR, metadata={
            "duplicated_event_ids": len(dupes),
            "offending_rows": MetadataValue.json(dupes[:MAX_LISTED]),
        })

    return _check


def reconcile_check(table: str) -> AssetChecksDefinition:
    """Rows up to the cursor: the same `ingest_seq`s in Postgres and in raw."""

    @asset_check(asset=RAW[table], name="reconciles_with_postgres",
                 description=f"raw.{table} holds exactly Postgres's rows up to the cursor.")
    def _check(postgres: PostgresResource, warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.connect() as con:
            upto = get_cursor(con, table)[0]
            present = table_exists(con, "raw", table)
            raw_count = con.execute(sql("checks/raw_count_upto").format(table=table), {"upto": upto}) \
                .fetchone()[0] if present else 0
            pg_count = asyncio.run(_pg(postgres.dsn(), pg_count_upto, table, upto))
            diff = {"missing": [], "extra": []}
            if pg_count != raw_count:
                raw_seqs = [r[0] for r in con.execute(
                    sql("checks/raw_seqs_upto").format(table=table), {"upto": upto}).fetchall()]
                diff = reconcile(asyncio.run(_pg(postgres.dsn(), pg_seqs_upto, table, upto)), raw_seqs)
        offending = ([{"ingest_seq": s, "problem": "in Postgres, not in raw"} for s in diff["missing"]]
                     + [{"ingest_seq": s, "problem": "in raw, not in Postgres"} for s in diff["extra"]])
        return AssetCheckResult(passed=pg_count == raw_count, severity=AssetCheckSeverity.ERROR, metadata={
            "cursor": upto, "postgres_rows": pg_count, "raw_rows": int(raw_count),
            "offending_rows": MetadataValue.json(offending[:MAX_LISTED]),
        })

    return _check


async def _pg(dsn: str, fn, table: str, upto: int):
    conn = await connect(dsn)
    try:
        return await fn(conn, table, upto)
    finally:
        await conn.close()


@asset_check(asset=STAGING["l2_decisions"], name="no_phi_in_l2_text",
             description="No L2 decision's reasoning or guardrail text holds PHI (contracts.phi); lists the "
                         "decision ids and PHI categories, never the text.")
def no_phi_in_l2_text(warehouse: WarehouseResource) -> AssetCheckResult:
    """Run the PHI detector over every staged L2 decision's free text."""
    from contracts.phi import contains_phi

    with warehouse.connect() as con:
        rows = _rows(con, sql("checks/l2_text"))
    found = phi_findings(rows, ("reasoning", "guardrails"), contains_phi)
    return AssetCheckResult(passed=not found, severity=AssetCheckSeverity.ERROR, metadata={
        "decisions_checked": len(rows),
        "decisions_with_phi": len({f["decision_id"] for f in found}),
        "offending_rows": MetadataValue.json(found[:MAX_LISTED]),
    })


@asset_check(asset=STAGING["check_results"], name="sites_reporting",
             description=f"Every site's newest check result is under {SILENT_AFTER.total_seconds() / 3600:.0f} "
                         "hours old; lists the silent sites.")
def sites_reporting(warehouse: WarehouseResource) -> AssetCheckResult:
    """Data freshness: which sites' appliances went quiet."""
    with warehouse.connect() as con:
        last_seen = _rows(con, sql("checks/site_last_check"))
    silent = silent_sites(last_seen, datetime.now(UTC), SILENT_AFTER)
    return AssetCheckResult(passed=not silent, severity=AssetCheckSeverity.WARN, metadata={
        "sites": len(last_seen), "silent_sites": len(silent),
        "offending_rows": MetadataValue.json(silent[:MAX_LISTED]),
    })


CHECKS = [
    *(unique_event_ids_check(t) for t in TELEMETRY_TABLES),
    *(reconcile_check(t) for t in TELEMETRY_TABLES),
    no_phi_in_l2_text,
    sites_reporting,
]
