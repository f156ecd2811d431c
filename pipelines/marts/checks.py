"""Checks of the `marts` group: what readers get (the Parquet file) is what the warehouse holds."""

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetsDefinition, asset_check

from pipelines.marts.assets import ASSETS
from pipelines.resources import WarehouseResource
from warehouse.duck import columns, count_rows, read_mart


def published_check(mart: AssetsDefinition) -> AssetChecksDefinition:
    """The published Parquet file of a mart has the table's row count and columns."""
    name = mart.key.path[-1]

    @asset_check(asset=mart, name="published_matches_warehouse",
                 description=f"$OSIRIS_HOME/marts/{name}.parquet has exactly marts.{name}'s rows and columns.")
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        published = read_mart(name, warehouse.marts_dir)
        with warehouse.connect() as con:
            rows = count_rows(con, f"marts.{name}")
            names = [n for n, _ in columns(con, f"marts.{name}")]
        problems = []
        if published is None:
            problems.append({"problem": "not published"})
        else:
            if published.height != rows:
                problems.append({"problem": "row count", "parquet": published.height, "warehouse": rows})
            if published.columns != names:
                problems.append({"problem": "columns", "parquet": published.columns, "warehouse": names})
        return AssetCheckResult(passed=not problems, severity=AssetCheckSeverity.ERROR,
                                metadata={"rows": rows, "offending_rows": problems})

    return _check


CHECKS = [published_check(mart) for mart in ASSETS]
