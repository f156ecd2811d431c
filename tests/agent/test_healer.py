"""The healer: closed loop, circuit breaker, persistent flap suppression, dry run, disruptive refusal."""

from __future__ import annotations

import pytest

from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.healer import Healer, HealPolicy
from agent.runbooks import catalog
from agent.store import Store
from contracts.incidents import OutcomeStatus

CAT = catalog()
FW = CAT.get("RB-LNX-FIREWALL-001")


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _healer(tmp_path, clock, **policy) -> Healer:
    return Healer(Store(tmp_path / "a.db"), HealPolicy(**policy), clock=clock)


def _target(**kw) -> Target:
    rates = dict(drift_rate=0.0, failure_rate=0.0, flap_rate=0.0)
    rates.update(kw)
    return Target("h1", "linux", SimulatedHost("h1", "linux", CAT, **rates))


def _heal(healer, target, runbook=FW, params=None):
    return healer.heal(target, runbook, params, check_runbook=CAT.for_check(runbook.check_type, "linux"),
                       site_id="s", appliance_id=None)


def test_heal_closed_loop_pass_is_healed(tmp_path, clock):
    target = _target()
    target.executor.drift("firewall_status")
    result = _heal(_healer(tmp_path, clock), target)
    assert result.status is OutcomeStatus.HEALED and result.after["check"] == "pass"
    assert target.executor.is_compliant("firewall_status")


def test_heal_remediation_that_does_not_stick_is_failed(tmp_path, clock):
    target = _target()
    target.executor.drift("firewall_status")

    class Liar:  # reports success but changes nothing: only the re-check can tell
        def run(self, command, *, timeout, sudo=False, stdin=None):
            if "osiris:remediate" in command:
                from agent.executors.base import ExecResult

                return ExecResult(0, "done\n", "", 1.0)
            return target.executor.run(command, timeout=timeout)

    result = _heal(_healer(tmp_path, clock), Target("h1", "linux", Liar()))
    assert result.status is OutcomeStatus.FAILED and "re-check fail" in result.error


def test_breaker_opens_after_threshold_then_half_opens_after_cooldown(tmp_path, clock):
    healer = _healer(tmp_path, clock, breaker_threshold=2, breaker_cooldown=60)
    target = _target()
    target.executor.drift("firewall_status")
    target.executor.set_stuck("firewall_status")
    assert _heal(healer, target).status is OutcomeStatus.FAILED
    assert _heal(healer, target).status is OutcomeStatus.FAILED
    refused = _heal(healer, target)
    assert refused.refused and "circuit breaker" in refused.refused
    assert target.executor.stats.remediations == 2
    clock.t += 61
    target.executor.set_stuck("firewall_status", False)
    assert _heal(healer, target).status is OutcomeStatus.HEALED
    assert healer.store.breaker("h1", FW.id) == (0, 0.0)


def test_breaker_state_survives_restart(tmp_path, clock):
    healer = _healer(tmp_path, clock, breaker_threshold=1, breaker_cooldown=600)
    target = _target()
    target.executor.set_stuck("firewall_status")
    target.executor.drift("firewall_status")
    _heal(healer, target)
    healer.store.close()
    again = _healer(tmp_path, clock, breaker_threshold=1, breaker_cooldown=600)
    assert again.breaker_open("h1", FW.id)


def test_flap_suppression_after_k_heals_within_window_persists(tmp_path, clock):
    healer = _healer(tmp_path, clock, flap_threshold=3, flap_window=3600, flap_suppress_for=86400)
    for _ in range(3):
        assert not healer.flap_verdict("h1", "firewall_status", "i").suppressed
        healer.store.record_heal("h1", "firewall_status", clock.t)
        clock.t += 60
    verdict = healer.flap_verdict("h1", "firewall_status", "i4")
    assert verdict.suppressed and verdict.newly and verdict.heals == 3
    healer.store.close()
    restarted = _healer(tmp_path, clock, flap_threshold=3)
    again = restarted.flap_verdict("h1", "firewall_status", "i5")
    assert again.suppressed and not again.newly  # escalated once, not twice


def test_flap_heals_outside_window_do_not_count(tmp_path, clock):
    healer = _healer(tmp_path, clock, flap_threshold=2, flap_window=100)
    healer.store.record_heal("h1", "firewall_status", clock.t - 500)
    healer.store.record_heal("h1", "firewall_status", clock.t - 400)
    assert not healer.flap_verdict("h1", "firewall_status", "i").suppressed


def test_dry_run_plans_without_executing(tmp_path, clock):
    target = _target()
    target.executor.drift("firewall_status")
    result = _heal(_healer(tmp_path, clock, dry_run=True), target)
    assert result.status is OutcomeStatus.PLANNED
    assert target.executor.stats.remediations == 0 and not target.executor.is_compliant("firewall_status")


def test_disruptive_runbook_refused_unless_allowed(tmp_path, clock):
    luks = CAT.get("RB-LNX-LUKS-001")
    params = {"device": "/dev/sdb1", "key_file": "/etc/osiris/keys/data.key"}
    target = _target()
    target.executor.drift("disk_encryption")
    refused = _heal(_healer(tmp_path, clock), target, luks, params)
    assert refused.refused and target.executor.stats.remediations == 0
    allowed = _heal(_healer(tmp_path / "b", clock, allow_disruptive=True), target, luks, params)
    assert allowed.status is OutcomeStatus.HEALED


def test_heal_params_outside_schema_refused(tmp_path, clock):
    target = _target()
    result = _heal(_healer(tmp_path, clock), target, FW, {"ssh_port": "22; reboot"})
    assert result.refused and "params" in result.refused and target.executor.stats.remediations == 0
