"""Every group materialized in-process (real Postgres, DuckDB, the real reference data) and the
published marts checked against answers computed independently from the seeded rows."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import polars as pl
import pytest
from dagster import materialize

from contracts.telemetry import SoftwareItem
from pipelines.definitions import assets_and_checks
from tests.pipelines.conftest import MINE, QUIET, checks, make_resources, module_database
from tests.pipelines.seed import START, Fleet, generate, write
from warehouse.duck import read_mart

MARTS = ("compliance_rates", "device_compliance", "site_check_status", "cve_exposure", "control_coverage",
         "framework_controls", "tier_distribution", "l2_costs", "l2_confidence")
LAB = [("cpe:2.3:a:openssl:openssl:1.0.1g:*:*:*:*:*:*:*"),  # the Heartbleed fix: not vulnerable to it
       ("cpe:2.3:a:apache:http_server:2.4.25:*:*:*:*:*:*:*")]  # past CVE-2016-5387's 2.4.23 bound


async def _add_lab_host(url: str, site: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        rows = []
        for cpe in LAB:
            item = SoftwareItem(site_id=site, host="lab-01", cpe=cpe, observed_at=START)
            rows.append((item.event_id, uuid.UUID(site), "lab-01", cpe, "", "", START,
                         json.dumps(item.model_dump(mode="json"))))
        await conn.copy_records_to_table("software_inventory", records=rows, columns=[
            "event_id", "site_id", "host", "cpe", "product", "version", "observed_at", "payload"])
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def built(pg_server_url: str, pg_template: str, shared_data: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path, Any]]:
    """One full build shared by this module's tests (they only read what it published)."""
    with module_database(pg_server_url, pg_template) as url:
        fleet = generate(sites=2, hosts=4, days=9)
        asyncio.run(write(url, fleet))
        asyncio.run(_add_lab_host(url, fleet.sites[0]))
        folder = tmp_path_factory.mktemp("marts-build")
        result = materialize(assets_and_checks(), resources=make_resources(url, folder, shared_data),
                             selection=MINE, raise_on_error=True, run_config=QUIET)
        yield fleet, folder / "marts", result


def _latest(fleet: Fleet) -> dict[tuple[str, str, str], str]:
    latest: dict[tuple[str, str, str], tuple[Any, str]] = {}
    for _, site, host, check_type, _, status, at, _ in fleet.rows["check_results"]:
        key = (str(site), host, check_type)
        if key not in latest or at > latest[key][0]:
            latest[key] = (at, status)
    return {k: v[1] for k, v in latest.items()}


def test_every_mart_published_and_checks_pass(built):
    fleet, marts, result = built
    for name in MARTS:
        frame = read_mart(name, marts)
        assert frame is not None and frame.height > 0, name
    failing = {k for k, e in checks(result).items() if not e.passed}
    assert failing <= {("stg_check_results", "sites_reporting")}  # seeded data is weeks old


def test_compliance_rates_match_the_seeded_results(built):
    fleet, marts, _ = built
    expected: dict[tuple, Counter] = defaultdict(Counter)
    for _, site, _, check_type, _, status, at, _ in fleet.rows["check_results"]:
        expected[(str(site), at.date(), check_type)][status] += 1
    frame = read_mart("compliance_rates", marts)
    assert frame.height == len(expected)
    for row in frame.iter_rows(named=True):
        counts = expected[(row["site_id"], row["day"], row["check_type"])]
        assert (row["passed"], row["failed"], row["not_applicable"], row["errors"]) == (
            counts["pass"], counts["fail"], counts["not_applicable"], counts["error"])
        graded = counts["pass"] + counts["fail"]
        assert row["compliance_rate"] == (pytest.approx(counts["pass"] / graded) if graded else None)


def test_device_compliance_lists_latest_failing_checks(built):
    fleet, marts, _ = built
    latest = _latest(fleet)
    frame = read_mart("device_compliance", marts)
    checked = frame.filter(frame["checks"] > 0)
    assert checked.height == len({(s, h) for s, h, _ in latest})
    for row in checked.iter_rows(named=True):
        failing = sorted(c for (s, h, c), status in latest.items()
                         if (s, h) == (row["site_id"], row["host"]) and status == "fail")
        assert row["failing_checks"] == failing
        assert row["compliant"] is (not failing and not any(
            st == "error" for (s, h, _), st in latest.items() if (s, h) == (row["site_id"], row["host"])))
    # The lab host reported software but no checks or scan: it is listed nowhere as compliant.
    assert "lab-01" not in set(frame["host"])


def test_cve_exposure_follows_nvd_and_raises_exposed_cves(built):
    fleet, marts, _ = built
    frame = read_mart("cve_exposure", marts)
    site = fleet.sites[0]
    rows = {(r["host"], r["cve_id"]): r for r in frame.filter(frame["site_id"] == site).iter_rows(named=True)}
    heartbleed = rows[("srv-00-01", "CVE-2014-0160")]
    assert heartbleed["cpe"] == "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"
    assert heartbleed["cvss_score"] == 7.5 and heartbleed["base_severity"] == "high"
    assert heartbleed["exposed"] and heartbleed["exposed_ports"] == ["443/tcp https"]
    assert heartbleed["severity"] == "critical"
    # Apache 2.4.7 is inside CVE-2016-5387's 2.4.1 ..= 2.4.23 range, and Apache serves 443.
    assert rows[("srv-00-01", "CVE-2016-5387")]["exposed"]
    # The patched lab host: 1.0.1g is outside Heartbleed's range, 2.4.25 outside CVE-2016-5387's.
    assert ("lab-01", "CVE-2014-0160") not in rows and ("lab-01", "CVE-2016-5387") not in rows
    # No port serves Firefox: its CVEs stay at their NVD severity.
    firefox = [r for (h, _), r in rows.items() if h == "ws-00-00" and ":firefox:" in r["cpe"]]
    assert firefox and not any(r["exposed"] for r in firefox)
    assert all(r["severity"] == r["base_severity"] for r in firefox)


def test_control_coverage_walks_safeguard_controls_checks(built):
    fleet, marts, _ = built
    latest = _latest(fleet)
    frame = read_mart("control_coverage", marts)
    for site in fleet.sites:
        statuses = [st for (s, _, c), st in latest.items() if s == site and c == "disk_encryption"]
        expected = ("fail" if "fail" in statuses else "error" if "error" in statuses
                    else "pass" if "pass" in statuses else "not_applicable")
        row = frame.filter((frame["site_id"] == site) & (frame["hipaa_element"] == "164.312(a)(2)(iv)")
                           & (frame["control_id"] == "sc-13") & (frame["check_type"] == "disk_encryption"))
        assert row.height == 1
        got = row.row(0, named=True)
        assert got["status"] == expected and got["safeguard"] == "technical" and got["control_label"] == "SC-13"
        assert got["devices"] == len(statuses)
    # firewall_status cites 164.312(a)(1); no control of 164.312(a) maps to it, so it shows as a citation.
    cited = frame.filter((frame["hipaa_element"] == "164.312(a)") & (frame["check_type"] == "firewall_status"))
    assert set(cited["via"]) == {"citation"} and cited["control_id"].is_null().all()
    # A control no check evidences is listed, honestly, as having none.
    assert "no_checks" in set(frame["status"])


def test_framework_controls_lists_both_frameworks(built):
    _, marts, _ = built
    frame = read_mart("framework_controls", marts)
    counts = Counter(frame["framework"])
    assert counts == {"800-53": 1189, "hipaa": 68}
    ac2 = frame.filter(frame["control_id"] == "ac-2").row(0, named=True)
    assert ac2["baselines"] == ["HIGH", "LOW", "MODERATE"] and ac2["label"] == "AC-2"
    assert {"guest_account", "privileged_accounts"} <= set(ac2["check_types"])
    encryption = frame.filter(frame["control_id"] == "164.312(a)(2)(iv)").row(0, named=True)
    assert encryption["related"] == ["sc-13"] and "disk_encryption" in encryption["check_types"]


def test_tier_distribution_shares_sum_to_one_per_week(built):
    fleet, marts, _ = built
    frame = read_mart("tier_distribution", marts)
    sums = frame.group_by(["site_id", "week"]).agg(pl.col("share").sum())
    assert all(abs(v - 1.0) < 1e-9 for v in sums["share"])
    tiers = Counter(row[4] for row in fleet.rows["healing_outcomes"])
    assert dict(frame.group_by("tier").agg(pl.col("incidents").sum()).iter_rows()) == tiers


def test_l2_costs_and_confidence_add_up(built):
    fleet, marts, _ = built
    decisions = fleet.rows["l2_decisions"]
    costs = read_mart("l2_costs", marts)
    assert costs["decisions"].sum() == len(decisions)
    assert costs["input_tokens"].dtype == pl.Int64 and costs["input_tokens"].sum() == sum(d[10] for d in decisions)
    assert costs["cost_usd"].sum() == pytest.approx(sum(d[12] for d in decisions))
    confidence = read_mart("l2_confidence", marts)
    assert confidence["decisions"].sum() == len(decisions)
    for row in confidence.iter_rows(named=True):
        assert 0.0 <= row["confidence_bucket"] <= 0.9
        assert row["confidence_bucket"] <= row["mean_confidence"] < row["confidence_bucket"] + 0.1 + 1e-9


def test_everything_on_an_empty_fleet_publishes_empty_marts(resources, run):
    run()  # fails the test on any failed step
    marts = Path(resources["warehouse"].marts_dir)
    for name in MARTS:
        frame = read_mart(name, marts)
        assert frame is not None, name
        assert (frame.height > 0) is (name == "framework_controls"), name
