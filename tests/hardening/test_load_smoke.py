"""The fleet load benchmark still runs: a small fleet for a few seconds, its JSON checked for sense.

Timing is not asserted (benchmarks/ reports it); this keeps `benchmarks/load_fleet.py` from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

CONCURRENCY = 16
MAX_REQUESTS = 300


def test_load_fleet_smoke_small_fleet_no_errors_and_bounded():
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "load_fleet.py"), "--appliances", "20", "--seconds", "3",
         "--concurrency", str(CONCURRENCY), "--max-requests", str(MAX_REQUESTS), "--baseline-seconds", "1"],
        capture_output=True, text=True, timeout=180, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])

    assert result["benchmark"] == "load_fleet" and result["server"]["rate_limit_per_second"] >= 1e6
    assert result["provisioning"]["appliances"] == 20 and result["provisioning"]["sites"] == 2
    assert result["baseline_healthz"]["requests"] > 0 and result["baseline_healthz"]["errors"] == 0
    load = result["load"]
    assert load["errors"] == 0, load["endpoints"]
    assert load["appliances_seen"] == 20
    # Each worker checks the budget before a cycle of three requests: it overshoots by less than one cycle each.
    assert load["requests"] < MAX_REQUESTS + 3 * CONCURRENCY
    assert load["requests"] >= MAX_REQUESTS or load["seconds"] >= 3  # stopped by one budget or the other
    assert all(e["requests"] > 0 and e["p50_ms"] <= e["p99_ms"] for e in load["endpoints"].values())
    assert load["endpoints"]["sync"]["statuses"].get("304", 0) > 0  # the ETag an appliance holds is honoured
    assert load["events_stored"] == load["events_accepted"] > 0
    assert result["ratio_to_healthz"]["requests_per_s"] > 0
