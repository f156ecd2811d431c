"""The `marts` group: what compliance officers read, rebuilt in DuckDB `marts.*` and published as
Parquet (`$OSIRIS_HOME/marts/<name>.parquet`, atomically) for Streamlit and the read API."""

from collections.abc import Sequence

import duckdb
import polars as pl
from dagster import AssetsDefinition, MaterializeResult, MetadataValue, TableColumn, TableSchema, asset

from pipelines.marts.transforms import citation_rows, match_devices, service_rows
from pipelines.resources import WarehouseResource
from warehouse.duck import columns, count_rows, run_sql
from warehouse.reference import ensure_feed_tables
from warehouse.sql_files import sql

GROUP = "marts"


def _publish(warehouse: WarehouseResource, con: duckdb.DuckDBPyConnection, name: str,
             **extra: object) -> MaterializeResult:
    path = warehouse.publish(con, f"marts.{name}")
    schema = [TableColumn(name=n, type=t) for n, t in columns(con, f"marts.{name}")]
    return MaterializeResult(metadata={
        "dagster/row_count": count_rows(con, f"marts.{name}"),
        "dagster/column_schema": TableSchema(columns=schema),
        "parquet": MetadataValue.path(str(path)),
        **extra,
    })


def sql_mart(name: str, deps: Sequence[str], description: str, sql_name: str | None = None) -> AssetsDefinition:
    """A mart that is one SQL file (`warehouse/sql/marts/<sql_name or name>.sql`) over staging, then published."""

    @asset(name=name, group_name=GROUP, kinds={"duckdb", "parquet"}, deps=list(deps),
           description=description)
    def _mart(warehouse: WarehouseResource) -> MaterializeResult:
        with warehouse.connect() as con:
            run_sql(con, f"marts/{sql_name or name}")
            return _publish(warehouse, con, name)

    return _mart


compliance_rates = sql_mart(
    "compliance_rates", ["stg_check_results"],
    "Site × UTC day × check type: checks run, devices, passed / failed / not applicable / errors, and "
    "compliance_rate = passed / (passed + failed).")
device_compliance = sql_mart(
    "device_compliance", ["stg_check_results", "stg_device_scans"],
    "One row per device (site, host): the latest result of each check rolled up (compliant, failing checks, "
    "compliance_rate) with the network scan's ip, device type and whether it is in inventory.")
site_check_status = sql_mart(
    "site_check_status", ["stg_check_results"],
    "Site × check type: devices whose latest result passed / failed / was not applicable / errored.")
tier_distribution = sql_mart(
    "tier_distribution", ["stg_healing_outcomes"],
    "Site × week × tier (L1 / L2 / L3): incidents finally handled by each tier and its share of the week; "
    "the flywheel should move share from L2 to L1 over time.")
l2_costs = sql_mart(
    "l2_costs", ["stg_l2_decisions"],
    "Site × day × provider × model: L2 decisions, tokens, cost in USD, mean and p95 latency, human reviews.")
l2_confidence = sql_mart(
    "l2_confidence", ["stg_l2_decisions", "stg_healing_outcomes"],
    "Site × confidence decile: L2 decisions and how their incidents ended (healed / failed / escalated), "
    "success_rate per decile: is the planner's confidence calibrated?")

# What the report pages read beside the roll-ups: names, incidents, checks, heals, ports, escalations.
sites = sql_mart(
    "sites", ["raw_sites"],
    "Site id and name for display, every site including retired ones (from the Postgres `sites` snapshot).")
incidents = sql_mart(
    "incidents", ["stg_incidents", "stg_healing_outcomes"],
    "One row per incident with its current state: the latest healing outcome's tier and result decide the "
    "status (healed: resolved, escalated, suppressed, else open) and resolved_at.")
device_checks = sql_mart(
    "device_checks", ["stg_check_results"],
    "Site × device × check type: the latest result (pass / fail / not_applicable / error) and when it was seen.")
healing_history = sql_mart(
    "healing_history", ["stg_healing_outcomes"],
    "Every healing outcome: site, host, incident, tier, verified status, runbook or rule, duration, finish time.")
open_ports = sql_mart(
    "open_ports", ["stg_device_scans"],
    "The open ports (port, protocol, service, product) of each device's latest nmap scan, with the scan time.",
    sql_name="open_ports_mart")
escalations = sql_mart(
    "escalations", ["raw_escalations"],
    "Escalation heads (repeats folded in, counted in occurrences): the L3 queue with status, severity, reason, "
    "channels, and when each was requested, notified and resolved.")
escalation_attempts = sql_mart(
    "escalation_attempts", ["raw_escalation_attempts", "raw_escalations"],
    "Every escalation delivery attempt: channel, action, attempt number, ok, HTTP status, error and latency.")


@asset(group_name=GROUP, kinds={"duckdb", "parquet"},
       deps=["stg_software_inventory", "stg_device_scans", "nvd_cves"],
       description="Site × device × CVE: NVD configurations matched against each device's installed CPEs "
                   "(NVD semantics: version ranges, AND / OR / negated nodes), with CVSS, CISA KEV, and "
                   "`exposed` when the latest nmap scan shows a port serving the vulnerable software; "
                   "an exposed, network-reachable CVE is raised one severity level.")
def cve_exposure(warehouse: WarehouseResource) -> MaterializeResult:
    """Match inventory against NVD in Python (warehouse.cve_match), then join scans and CVSS in SQL."""
    with warehouse.connect() as con:
        missing = ensure_feed_tables(con)
        inventory = con.sql(sql("marts/current_inventory")).pl()
        cpe_matches = con.sql(sql("marts/nvd_cpe_matches")).pl().to_dicts()
        scores = dict(con.execute(sql("marts/nvd_scores")).fetchall())
        matches = match_devices(inventory, cpe_matches, scores)
        ports = con.sql(sql("marts/open_ports")).pl()
        serves = pl.DataFrame(service_rows(matches["cpe"].unique().to_list(), ports.to_dicts()),
                              schema={"cpe": pl.Utf8, "port": pl.Int32, "proto": pl.Utf8, "service": pl.Utf8,
                                      "product": pl.Utf8})
        for view, frame in (("_matches", matches), ("_inventory", inventory), ("_ports", ports),
                            ("_serves", serves)):
            con.register(view, frame)
        run_sql(con, "marts/cve_exposure")
        exposed = con.execute(sql("marts/cve_exposure_summary")).fetchone()
        return _publish(warehouse, con, "cve_exposure", exposed_rows=int(exposed[0]),
                        distinct_cves=int(exposed[1]), devices=inventory.select("site_id", "host").n_unique(),
                        feeds_not_loaded=MetadataValue.json(missing))


def _citations(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, list[str]]:
    elements = {r[0] for r in con.execute(sql("marts/crosswalk_elements")).fetchall()}
    pairs = con.execute(sql("marts/check_citations")).fetchall()
    rows, unresolved = citation_rows(pairs, elements)
    return pl.DataFrame(rows, schema={"check_type": pl.Utf8, "hipaa_element": pl.Utf8}), unresolved


@asset(group_name=GROUP, kinds={"duckdb", "parquet"},
       deps=["hipaa_crosswalk", "check_controls", "oscal_catalog", "stg_check_results"],
       description="Site × HIPAA Security Rule element × SP 800-53 control × check: NIST's crosswalk from each "
                   "safeguard to its controls, the checks giving evidence for each control, and their latest "
                   "results (pass / fail / not_applicable / error, or no_checks / no_data). Checks that cite "
                   "an element directly appear with via = 'citation'.")
def control_coverage(warehouse: WarehouseResource) -> MaterializeResult:
    """Walk safeguard → controls → checks → results for every site."""
    with warehouse.connect() as con:
        missing = ensure_feed_tables(con)
        citations, unresolved = _citations(con)
        con.register("_citations", citations)
        run_sql(con, "marts/control_coverage")
        return _publish(warehouse, con, "control_coverage", unresolved_citations=MetadataValue.json(unresolved),
                        feeds_not_loaded=MetadataValue.json(missing))


@asset(group_name=GROUP, kinds={"duckdb", "parquet"},
       deps=["oscal_catalog", "oscal_baselines", "hipaa_crosswalk", "check_controls", "stg_check_results"],
       description="Reference rows of the two frameworks the read API lists: every SP 800-53 rev5 control and "
                   "enhancement (family, baselines, HIPAA elements, evidencing checks) and every HIPAA Security "
                   "Rule element (its 800-53 controls and checks).")
def framework_controls(warehouse: WarehouseResource) -> MaterializeResult:
    """Join catalog, baselines, crosswalk and the check map into one listing per framework."""
    with warehouse.connect() as con:
        missing = ensure_feed_tables(con)
        citations, _ = _citations(con)
        con.register("_citations", citations)
        run_sql(con, "marts/framework_controls")
        return _publish(warehouse, con, "framework_controls", feeds_not_loaded=MetadataValue.json(missing))


ASSETS = [compliance_rates, device_compliance, site_check_status, cve_exposure, control_coverage,
          framework_controls, tier_distribution, l2_costs, l2_confidence, sites, incidents, device_checks,
          healing_history, open_ports, escalations, escalation_attempts]
