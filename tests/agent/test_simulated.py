"""Simulated hosts answer the catalog's real scripts, with seeded drift, failure and flap rates."""

from __future__ import annotations

import json

import pytest

from agent.errors import ExecutorTimeout
from agent.executors.base import Executor
from agent.executors.simulated import SimulatedHost, parse_spec
from agent.runbooks import catalog
from contracts.runbooks import render_script

CAT = catalog()
FW_WIN = CAT.get("RB-WIN-FIREWALL-001")
FW_LNX = CAT.get("RB-LNX-FIREWALL-001")


def _status(host: SimulatedHost, runbook, phase="check") -> str:
    result = host.run(render_script(runbook, phase), timeout=5)
    return json.loads(result.stdout)["status"]


def test_simulated_host_is_an_executor():
    assert isinstance(SimulatedHost("h", "windows", CAT), Executor)


def test_simulated_host_drift_then_remediate_then_pass():
    host = SimulatedHost("h", "windows", CAT, drift_rate=0, failure_rate=0, flap_rate=0, drifted=["firewall_status"])
    assert _status(host, FW_WIN) == "fail"
    assert host.run(render_script(FW_WIN, "remediate"), timeout=5).exit_code == 0
    assert _status(host, FW_WIN, "verify") == "pass" and _status(host, FW_WIN) == "pass"


def test_simulated_host_wrong_platform_script_fails_like_a_shell():
    host = SimulatedHost("h", "windows", CAT)
    result = host.run(render_script(FW_LNX, "check"), timeout=5)
    assert result.exit_code == 127 and "cannot run" in result.stderr
    assert host.run("Get-Date", timeout=5).exit_code == 127


def test_simulated_host_same_seed_same_drift_sequence():
    def run(seed):
        host = SimulatedHost("h", "linux", CAT, seed=seed, drift_rate=0.3)
        out = []
        for _ in range(20):
            for rb in CAT.for_platform("linux"):
                out.append(_status(host, rb))
        return out

    assert run(1) == run(1) and run(1) != run(2)


def test_simulated_host_failure_rate_one_remediation_fails():
    host = SimulatedHost("h", "linux", CAT, failure_rate=1.0, drifted=["firewall_status"])
    result = host.run(render_script(FW_LNX, "remediate"), timeout=5)
    assert result.exit_code == 1 and not host.is_compliant("firewall_status")


def test_simulated_host_flappy_heal_holds_one_check_then_drifts():
    host = SimulatedHost("h", "linux", CAT, drift_rate=0, failure_rate=0, flap_rate=1.0, drifted=["firewall_status"])
    host.run(render_script(FW_LNX, "remediate"), timeout=5)
    assert _status(host, FW_LNX) == "pass"
    assert _status(host, FW_LNX) == "fail"


def test_simulated_host_timeout_rate_raises_executor_timeout():
    host = SimulatedHost("h", "linux", CAT, timeout_rate=1.0)
    with pytest.raises(ExecutorTimeout):
        host.run(render_script(FW_LNX, "check"), timeout=3)


def test_simulated_host_drift_details_come_from_examples():
    host = SimulatedHost("h", "linux", CAT, drifted=["firewall_status"])
    details = json.loads(host.run(render_script(FW_LNX, "check"), timeout=5).stdout)["details"]
    assert details in FW_LNX.examples


@pytest.mark.parametrize("spec", ["macos:1", "windows", "linux:x"])
def test_parse_spec_bad_raises_value_error(spec):
    with pytest.raises(ValueError):
        parse_spec(spec)
