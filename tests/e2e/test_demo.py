"""`osiris demo` end to end: the loop closes on a small fleet, from a fresh workspace."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import osiris_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_summary() -> dict:
    home = Path(tempfile.mkdtemp(prefix="osiris-demo-e2e-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["OSIRIS_HOME"] = str(home)
    out = subprocess.run([*osiris_cmd(), "demo", "--sites", "2", "--days", "14", "--json"], env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_demo_promotes_at_least_one_rule(demo_summary):
    assert demo_summary["promoted_rules"] >= 1
    assert any(r["id"].startswith("L1-AUTO-") for r in demo_summary["rules"])


def test_demo_bundle_served_and_verified_by_every_appliance(demo_summary):
    # Appliances only hold a version they verified (signature, key, expiry, no rollback).
    assert demo_summary["bundle_version"] >= 2
    assert demo_summary["appliance_bundle_versions"] == [demo_summary["bundle_version"]]


def test_demo_promoted_rule_used_for_l1_heal(demo_summary):
    assert demo_summary["promoted_rule_heals"] >= 1


def test_demo_l1_share_after_higher_than_before(demo_summary):
    assert demo_summary["l1_share_after"] > demo_summary["l1_share_before"]
    assert demo_summary["l2_share_after"] < demo_summary["l2_share_before"]
