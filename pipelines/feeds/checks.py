"""Checks of the `feeds` group (freshness is a FreshnessPolicy on each feed asset)."""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from pipelines.feeds.assets import check_controls
from pipelines.resources import WarehouseResource
from warehouse.duck import table_exists
from warehouse.sql_files import sql


@asset_check(asset=check_controls, name="covers_reported_checks",
             additional_deps=["stg_check_results"],
             description="Every check type appliances report maps to at least one SP 800-53 control, so its "
                         "results count toward HIPAA coverage; lists the unmapped check types.")
def covers_reported_checks(warehouse: WarehouseResource) -> AssetCheckResult:
    """Check types seen in telemetry but missing from warehouse/reference/check_controls.yaml."""
    with warehouse.connect() as con:
        ready = table_exists(con, "staging", "check_results") and table_exists(con, "feeds", "check_controls")
        rows = con.execute(sql("checks/unmapped_check_types")).pl().to_dicts() if ready else []
    return AssetCheckResult(passed=not rows, severity=AssetCheckSeverity.WARN, metadata={
        "unmapped_check_types": len(rows), "offending_rows": MetadataValue.json(rows[:50])})


CHECKS = [covers_reported_checks]
