"""Snapshot assets of the `ingest` group: Central Command's small state tables, copied whole each run.

Sites and escalations change in place (a site is renamed, an escalation is notified then resolved),
so they are not extracted by cursor like telemetry: `warehouse.snapshot` replaces `raw.<table>`.
"""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from pipelines.ingest.assets import GROUP, HOURLY
from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.pg import redact
from warehouse.snapshot import snapshot_table

SNAPSHOT_TABLES = ("sites", "escalations", "escalation_attempts")
"""The Postgres state tables copied whole into DuckDB `raw.*` each run."""

_WHAT = {
    "sites": "sites (id, name, retired or not): the names the reports show instead of ids",
    "escalations": "L3 escalations (status, channels, occurrences, when notified and resolved)",
    "escalation_attempts": "escalation delivery attempts (channel, action, ok, status code, error, latency)",
}


def snapshot_asset(table: str) -> AssetsDefinition:
    """The asset that replaces `raw.<table>` with a full copy of Postgres `table`."""

    @asset(name=f"raw_{table}", group_name=GROUP, kinds={"postgres", "duckdb"}, freshness_policy=HOURLY,
           description=f"Raw {_WHAT[table]}: a full snapshot of Postgres `{table}` each run (rows change in "
                       f"place, and the table is small), moved as Arrow pages into DuckDB `raw.{table}`.")
    def _snapshot(context: AssetExecutionContext, postgres: PostgresResource,
                  warehouse: WarehouseResource) -> MaterializeResult:
        dsn = postgres.dsn()
        with warehouse.connect() as con:
            result = snapshot_table(dsn, con, table)
        context.log.info(f"{table}: {result.rows} rows snapshotted from {redact(dsn)}")
        return MaterializeResult(metadata={"dagster/row_count": result.rows, "batches": result.batches})

    return _snapshot


SNAPSHOTS = {table: snapshot_asset(table) for table in SNAPSHOT_TABLES}
ASSETS = list(SNAPSHOTS.values())
