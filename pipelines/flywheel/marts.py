"""The flywheel's report marts: candidates, promoted rules and the audit trail, published for the reports.

The lifecycle state lives in Postgres (`warehouse.flywheel`) and changes in place (a rule moves from
shadow to canary, a candidate is re-judged), so each run snapshots the three small tables whole
into DuckDB `raw.*` (`warehouse.snapshot`) and rebuilds the marts from them.
"""

from dagster import MaterializeResult, MetadataValue, asset

from pipelines.flywheel.assets import GROUP, rules_bundle
from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.duck import count_rows, run_sql
from warehouse.snapshot import snapshot_table

MARTS = {"flywheel_candidates": ("rule_candidates", "flywheel/mart_candidates"),
         "flywheel_rules": ("rules", "flywheel/mart_rules"),
         "flywheel_audit": ("rule_audit", "flywheel/mart_audit")}
"""Each published mart: the Postgres table it is snapshotted from and the SQL file that builds it."""


@asset(group_name=GROUP, kinds={"postgres", "duckdb", "parquet"}, deps=[rules_bundle],
       description="The flywheel for the reports: snapshots of Postgres `rule_candidates`, `rules` and `rule_audit` "
                   "published as the marts flywheel_candidates (the last evaluation of each pattern and runbook), "
                   "flywheel_rules (promoted rules and their stage) and flywheel_audit (every stage change).")
def flywheel_marts(postgres: PostgresResource, warehouse: WarehouseResource) -> MaterializeResult:
    """Snapshot the lifecycle tables, rebuild the three marts and publish them."""
    rows, paths = {}, {}
    with warehouse.connect() as con:
        for name, (table, query) in MARTS.items():
            snapshot_table(postgres.dsn(), con, table)
            run_sql(con, query)
            paths[name] = str(warehouse.publish(con, f"marts.{name}"))
            rows[name] = count_rows(con, f"marts.{name}")
    return MaterializeResult(metadata={
        "dagster/row_count": sum(rows.values()), "rows": MetadataValue.json(rows),
        "parquet": MetadataValue.json(paths),
    })
