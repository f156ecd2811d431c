"""The `feeds` group: NVD CVE records (incremental), the OSCAL SP 800-53 catalog and baselines, the
HIPAA ↔ 800-53 crosswalk and the check → control map, each into DuckDB `feeds.*`."""

from datetime import timedelta

from dagster import AssetExecutionContext, FreshnessPolicy, MaterializeResult, MetadataValue, asset

from pipelines.feeds.resources import NvdFeed, ReferenceData
from pipelines.feeds.transforms import baseline_rows, unknown_controls
from pipelines.resources import WarehouseResource
from warehouse.duck import get_cursor
from warehouse.errors import CrosswalkError, FeedShapeError
from warehouse.feeds.hipaa import CROSSWALK_SCHEMA, load_crosswalk
from warehouse.feeds.oscal import CONTROL_SCHEMA, GROUP_SCHEMA, PARAM_SCHEMA, load_catalog, resolve_profile
from warehouse.reference import (
    BASELINE_SCHEMA,
    CHECK_CONTROL_SCHEMA,
    load_nvd,
    read_check_controls,
    store_rows,
)
from warehouse.sql_files import sql

GROUP = "feeds"
# NVD refreshes daily (one missed day is tolerated); the OSCAL catalog and crosswalk weekly.
DAILY = FreshnessPolicy.time_window(fail_window=timedelta(hours=50), warn_window=timedelta(hours=26))
WEEKLY = FreshnessPolicy.time_window(fail_window=timedelta(days=15), warn_window=timedelta(days=8))


@asset(group_name=GROUP, kinds={"duckdb", "json"}, freshness_policy=DAILY,
       description="NVD CVE API 2.0 records (CVSS, CWEs, CISA KEV) in `feeds.nvd_cves`, and every cpeMatch "
                   "of every configuration in `feeds.nvd_cpe_matches`. Incremental: only records modified "
                   "since the saved `lastModified` cursor are fetched and upserted by CVE id.")
def nvd_cves(context: AssetExecutionContext, nvd: NvdFeed, warehouse: WarehouseResource) -> MaterializeResult:
    """Fetch NVD pages modified since the cursor and upsert them."""
    with warehouse.connect() as con:
        since = get_cursor(con, "nvd")[1]
        context.log.info(f"NVD from {nvd.describe()} modified since {since or 'the beginning'}")
        load = load_nvd(con, nvd.source().fetch(since))
    return MaterializeResult(metadata={
        "dagster/row_count": load.total_cves,
        "fetched_records": load.records,
        "fetched_cpe_matches": load.cpe_matches,
        "pages": load.pages,
        "cursor_before": str(load.cursor_before) if load.cursor_before else "none",
        "cursor_after": str(load.cursor_after) if load.cursor_after else "none",
        "source": nvd.describe(),
    })


@asset(group_name=GROUP, kinds={"duckdb", "oscal"}, freshness_policy=WEEKLY,
       description="The NIST SP 800-53 rev5 OSCAL catalog: families in `feeds.oscal_groups`, controls and "
                   "enhancements (withdrawn flagged, statement as prose) in `feeds.oscal_controls`, "
                   "parameters in `feeds.oscal_params`.")
def oscal_catalog(reference: ReferenceData, warehouse: WarehouseResource) -> MaterializeResult:
    """Parse the catalog and replace the three tables."""
    catalog = load_catalog(reference.catalog_path())
    with warehouse.connect() as con:
        store_rows(con, "feeds.oscal_groups", catalog.groups, GROUP_SCHEMA)
        rows = store_rows(con, "feeds.oscal_controls", catalog.controls, CONTROL_SCHEMA)
        store_rows(con, "feeds.oscal_params", catalog.params, PARAM_SCHEMA)
    summary = catalog.summary()
    return MaterializeResult(metadata={"dagster/row_count": rows, "catalog_version": catalog.version,
                                       **{k: int(v) for k, v in summary.items()}})


@asset(group_name=GROUP, kinds={"duckdb", "oscal"}, deps=[oscal_catalog], freshness_policy=WEEKLY,
       description="Which controls each SP 800-53 baseline (LOW, MODERATE, HIGH, PRIVACY) selects, by "
                   "resolving NIST's OSCAL profiles against the catalog: `feeds.oscal_baselines`.")
def oscal_baselines(reference: ReferenceData, warehouse: WarehouseResource) -> MaterializeResult:
    """Resolve each baseline profile and store the selections."""
    catalog = load_catalog(reference.catalog_path())
    selections = {name: resolve_profile(reference.oscal_path(file), catalog).selected
                  for name, file in reference.baselines.items()}
    with warehouse.connect() as con:
        rows = store_rows(con, "feeds.oscal_baselines", baseline_rows(selections), BASELINE_SCHEMA)
    return MaterializeResult(metadata={"dagster/row_count": rows,
                                       **{name.lower(): len(ids) for name, ids in selections.items()}})


@asset(group_name=GROUP, kinds={"duckdb"}, deps=[oscal_catalog], freshness_policy=WEEKLY,
       description="NIST's SP 800-66r2 crosswalk from HIPAA Security Rule elements (164.308 / .310 / .312 / "
                   ".314 / .316) to SP 800-53 rev5 controls, ids normalised to the catalog's: "
                   "`feeds.hipaa_crosswalk`. Fails if a mapped control is not in the catalog.")
def hipaa_crosswalk(reference: ReferenceData, warehouse: WarehouseResource) -> MaterializeResult:
    """Load the crosswalk, titled from the catalog, refusing ids the catalog lacks."""
    with warehouse.connect() as con:
        titles = dict(con.execute(sql("feeds/control_titles")).fetchall())
        rows = load_crosswalk(reference.hipaa_path(), titles)
        missing = unknown_controls(rows, set(titles))
        if missing:
            raise CrosswalkError(f"{len(missing)} crosswalk rows name controls the catalog lacks, e.g. "
                                 f"{missing[0]['source_control_id']}")
        count = store_rows(con, "feeds.hipaa_crosswalk", rows, CROSSWALK_SCHEMA)
    return MaterializeResult(metadata={
        "dagster/row_count": count,
        "elements": len({r["hipaa_element"] for r in rows}),
        "controls": len({r["control_id"] for r in rows}),
    })


@asset(group_name=GROUP, kinds={"duckdb", "yaml"}, deps=[oscal_catalog],
       description="Which SP 800-53 controls each drift check gives evidence for "
                   "(warehouse/reference/check_controls.yaml): `feeds.check_controls`.")
def check_controls(reference: ReferenceData, warehouse: WarehouseResource) -> MaterializeResult:
    """Load the reviewed check → control map, refusing ids the catalog lacks."""
    rows = read_check_controls(reference.check_map_path())
    with warehouse.connect() as con:
        ids = {r[0] for r in con.execute(sql("feeds/control_titles")).fetchall()}
        missing = unknown_controls(rows, ids)
        if missing:
            raise FeedShapeError(f"check control map names controls the catalog lacks: "
                                 f"{', '.join(sorted({m['control_id'] for m in missing}))}")
        count = store_rows(con, "feeds.check_controls", rows, CHECK_CONTROL_SCHEMA)
    return MaterializeResult(metadata={
        "dagster/row_count": count,
        "check_types": MetadataValue.json(sorted({r["check_type"] for r in rows})),
    })


ASSETS = [nvd_cves, oscal_catalog, oscal_baselines, hipaa_crosswalk, check_controls]
