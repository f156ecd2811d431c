"""The `ingest` group: telemetry from Postgres into DuckDB `raw.*` (incremental), then `staging.*`.

One `raw_<table>` and one `stg_<table>` asset per telemetry table. Raw assets append only rows past
their cursor (a re-run adds nothing); staging assets rebuild the typed, deduplicated table from raw.
"""

# No `from __future__ import annotations` in the Dagster modules: Dagster reads the resource and
# context annotations at definition time and must see the classes, not strings.
from datetime import timedelta

from dagster import AssetExecutionContext, AssetsDefinition, FreshnessPolicy, MaterializeResult, asset

from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.duck import count_rows, run_sql
from warehouse.ingest import TELEMETRY_TABLES, ingest_table, raw_state
from warehouse.pg import redact

GROUP = "ingest"
# Extracted hourly and on new telemetry: three hours without a load means the pipeline is stuck.
HOURLY = FreshnessPolicy.time_window(fail_window=timedelta(hours=3), warn_window=timedelta(hours=2))
EVENT_KEY = {"incidents": "incident_id", "l2_decisions": "decision_id"}
"""The id each staging table is deduplicated by (the rest use `event_id`)."""

_WHAT = {
    "incidents": "incidents (failed checks turned into work for the healing tiers)",
    "l2_decisions": "L2 planner decisions (runbook, confidence, tokens, cost, latency, reasoning)",
    "healing_outcomes": "healing outcomes (tier, verified status, runbook or rule, duration)",
    "check_results": "drift check results (pass / fail / not applicable / error per host and check)",
    "device_scans": "network scans (devices found by nmap, their open ports and services)",
    "software_inventory": "installed software per device as CPE 2.3 names",
}


def raw_asset(table: str) -> AssetsDefinition:
    """The asset that appends Postgres `table`'s new rows to `raw.<table>`."""

    @asset(name=f"raw_{table}", group_name=GROUP, kinds={"postgres", "duckdb"},
           freshness_policy=HOURLY,
           description=f"Raw {_WHAT[table]}: Postgres `{table}` rows past the `ingest_seq` cursor, moved "
                       f"as Arrow batches and appended as-is to DuckDB `raw.{table}`.")
    def _raw(context: AssetExecutionContext, postgres: PostgresResource,
             warehouse: WarehouseResource) -> MaterializeResult:
        dsn = postgres.dsn()
        with warehouse.connect() as con:
            result = ingest_table(dsn, con, table)
        context.log.info(f"{table}: {result.new_rows} new rows from {redact(dsn)} in {result.batches} batches")
        return MaterializeResult(metadata={
            "dagster/row_count": result.raw_rows,
            "new_rows": result.new_rows,
            "cursor_before": result.cursor_before,
            "cursor_after": result.cursor_after,
            "batches": result.batches,
        })

    return _raw


def staging_asset(table: str) -> AssetsDefinition:
    """The asset that rebuilds `staging.<table>` (typed, deduplicated) from `raw.<table>`."""
    key = EVENT_KEY.get(table, "event_id")

    @asset(name=f"stg_{table}", group_name=GROUP, kinds={"duckdb"}, deps=[f"raw_{table}"],
           description=f"Staged {_WHAT[table]}: typed columns (JSON payload fields unpacked, enums "
                       f"normalised) and one row per `{key}` (the latest report wins).")
    def _staging(warehouse: WarehouseResource) -> MaterializeResult:
        with warehouse.connect() as con:
            run_sql(con, f"staging/{table}")
            rows = count_rows(con, f"staging.{table}")
            raw_rows = raw_state(con, table)[1]
        return MaterializeResult(metadata={"dagster/row_count": rows, "duplicates_dropped": raw_rows - rows})

    return _staging


RAW = {table: raw_asset(table) for table in TELEMETRY_TABLES}
STAGING = {table: staging_asset(table) for table in TELEMETRY_TABLES}
ASSETS = [*RAW.values(), *STAGING.values()]
