"""`osiris pipelines`: in-process materialization from the command line, one line on failure."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import osiris_cmd
from tests.pipelines.seed import generate, write

MINE = [f"{layer}_{t}" for layer in ("raw", "stg") for t in (
    "incidents", "l2_decisions", "healing_outcomes", "check_results", "device_scans", "software_inventory")] + [
    "nvd_cves", "oscal_catalog", "oscal_baselines", "hipaa_crosswalk", "check_controls", "compliance_rates",
    "device_compliance", "site_check_status", "cve_exposure", "control_coverage", "framework_controls",
    "tier_distribution", "l2_costs", "l2_confidence",
    # state snapshotted whole each run, and the marts the report pages read
    "raw_sites", "raw_escalations", "raw_escalation_attempts", "sites", "incidents", "device_checks",
    "healing_history", "open_ports", "escalations", "escalation_attempts"]


def _env(tmp_path: Path, shared_data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "DATABASE_URL")}
    env.update(OSIRIS_HOME=str(tmp_path / "home"), OSIRIS_SHARED_DATA=str(shared_data), **extra)
    return env


def _osiris(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*osiris_cmd(), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_pipelines_materialize_groups_publishes_marts(tmp_path: Path, shared_data: Path, pg_url: str):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=2)))
    args = ["pipelines", "materialize", "-s", "ingest", "-s", "feeds", "--select", "marts", "--json"]
    out = _osiris(args, _env(tmp_path, shared_data, DATABASE_URL=pg_url))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(MINE) == set(summary["materialized"])
    assert f"materialized {len(summary['materialized'])} assets" in out.stderr
    home = tmp_path / "home"
    assert (home / "marts" / "compliance_rates.parquet").is_file()
    assert "enabled: false" in (home / "dagster" / "dagster.yaml").read_text()
    assert "Traceback" not in out.stderr


def test_pipelines_materialize_select_group_runs_only_it(tmp_path: Path, shared_data: Path):
    out = _osiris(["pipelines", "materialize", "--select", "feeds", "--json"], _env(tmp_path, shared_data))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["materialized"] == ["check_controls", "hipaa_crosswalk", "nvd_cves", "oscal_baselines",
                                       "oscal_catalog"]


def test_pipelines_materialize_unknown_selection_one_line(tmp_path: Path, shared_data: Path):
    out = _osiris(["pipelines", "materialize", "--select", "no_such_asset"], _env(tmp_path, shared_data))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown group or asset 'no_such_asset'; groups: ")
    assert all(group in lines[0] for group in ("feeds", "ingest", "marts"))


def test_pipelines_materialize_failed_asset_one_line_exit_1(tmp_path: Path, shared_data: Path):
    env = _env(tmp_path, shared_data, DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    out = _osiris(["pipelines", "materialize", "-s", "raw_incidents"], env)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: asset raw_incidents failed: DatabaseUnavailableError")
    assert "Traceback" not in out.stderr


def test_pipelines_list_names_every_asset_with_its_group(tmp_path: Path, shared_data: Path):
    out = _osiris(["pipelines", "list", "--json"], _env(tmp_path, shared_data))
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"asset": "raw_incidents", "group": "ingest"} in rows
    assert set(MINE) <= {r["asset"] for r in rows}
