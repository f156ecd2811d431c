"""The code location loads: every asset in its group with a description, the jobs, schedules and
sensor, and `dagster definitions validate -w workspace.yaml` accepts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.definitions import DOMAINS, defs

REPO = Path(__file__).resolve().parents[2]
TABLES = ("incidents", "l2_decisions", "healing_outcomes", "check_results", "device_scans", "software_inventory")
EXPECTED = {
    "ingest": {f"raw_{t}" for t in TABLES} | {f"stg_{t}" for t in TABLES}
              | {"raw_sites", "raw_escalations", "raw_escalation_attempts"},
    "feeds": {"nvd_cves", "oscal_catalog", "oscal_baselines", "hipaa_crosswalk", "check_controls"},
    "marts": {"compliance_rates", "device_compliance", "site_check_status", "cve_exposure", "control_coverage",
              "framework_controls", "tier_distribution", "l2_costs", "l2_confidence", "sites", "incidents",
              "device_checks", "healing_history", "open_ports", "escalations", "escalation_attempts"},
}


def _repo():
    return defs.get_repository_def()


def test_definitions_assets_in_expected_groups():
    groups: dict[str, set[str]] = {}
    for key, assets in _repo().assets_defs_by_key.items():
        groups.setdefault(assets.group_names_by_key[key], set()).add(key.to_user_string())
    # Other domains (flywheel, evidence) add groups of their own; these three are exactly as built.
    for group, assets in EXPECTED.items():
        assert groups[group] == assets
    assert set(EXPECTED) <= set(DOMAINS)


def test_definitions_every_asset_describes_itself():
    for key, assets in _repo().assets_defs_by_key.items():
        description = assets.descriptions_by_key.get(key) or ""
        assert len(description) > 40, f"{key.to_user_string()} needs a description"


def test_definitions_lineage_reaches_marts_from_sources():
    graph = _repo().asset_graph
    from dagster import AssetKey

    def upstream(name: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(AssetKey(name)).parent_keys}

    assert upstream("stg_incidents") == {"raw_incidents"}
    assert upstream("cve_exposure") == {"stg_software_inventory", "stg_device_scans", "nvd_cves"}
    assert {"hipaa_crosswalk", "check_controls", "stg_check_results"} <= upstream("control_coverage")


def test_definitions_jobs_schedules_and_sensor():
    repo = _repo()
    assert {"ingest_job", "nvd_job", "reference_job"} <= {j.name for j in repo.get_all_jobs()}
    crons = {s.name: s.cron_schedule for s in repo.schedule_defs}
    mine = {"ingest_hourly": "5 * * * *", "nvd_daily": "17 3 * * *", "reference_weekly": "43 4 * * 0"}
    assert {k: crons.get(k) for k in mine} == mine
    assert "new_telemetry" in {s.name for s in repo.sensor_defs}
    checks = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_checks_defs_by_key}
    assert ("stg_l2_decisions", "no_phi_in_l2_text") in checks
    assert {("raw_" + t, "unique_event_ids") for t in TABLES} <= checks
    assert {("raw_" + t, "reconciles_with_postgres") for t in TABLES} <= checks


def test_definitions_validate_cli_accepts_workspace(tmp_path: Path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster"), "OSIRIS_HOME": str(tmp_path)}
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    out = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Validation successful for code location osiris" in out.stderr + out.stdout
