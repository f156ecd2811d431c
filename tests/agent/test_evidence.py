"""The appliance's evidence: one bundle per check run and per heal, PHI-scrubbed, signed with its own key,
sent as telemetry; `MSP_EVIDENCE` chooses all, heals or off."""

from __future__ import annotations

from datetime import UTC, datetime

import nacl.signing
import pytest

from agent.errors import SettingsError
from agent.evidence import check_bundle, heal_bundle
from agent.settings import load_settings
from contracts.evidence import canonical_bytes, parse_signed, verify_signed
from contracts.incidents import CheckResult, HealingOutcome
from tests.agent.conftest import sim


def _bundles(state) -> list:
    return [parse_signed(e["payload"]) for (kind, _), e in state.events.items() if kind == "evidence_bundle"]


def test_check_bundle_scrubs_phi_from_the_facts():
    result = CheckResult(site_id="s", appliance_id="a", host="ws-1", check_type="screen_lock", platform="windows",
                         status="fail", details={"owner": "jane.doe@clinic.example", "timeout_s": 900})
    bundle = check_bundle(result, "a")
    assert (bundle.kind, bundle.target, bundle.result, bundle.after) == ("check", "ws-1", "fail", None)
    assert bundle.before["timeout_s"] == 900 and "jane.doe" not in canonical_bytes(bundle).decode()
    assert bundle.created_at == result.observed_at


def test_heal_bundle_keeps_before_after_and_what_ran():
    outcome = HealingOutcome(incident_id="i-1", site_id="s", host="ws-1", tier="L1", status="healed",
                             runbook_id="RB-WIN-FIREWALL-001", rule_id="L1-FIREWALL-001", pattern_signature="p" * 16,
                             duration_ms=12.34, before={"check": "fail"}, after={"check": "pass", "verify": "pass"},
                             finished_at=datetime(2026, 11, 1, tzinfo=UTC))
    bundle = heal_bundle(outcome, "firewall_status", "a")
    assert (bundle.kind, bundle.check_type, bundle.result) == ("heal", "firewall_status", "healed")
    assert bundle.before == {"check": "fail"}
    assert bundle.after == {"check": "pass", "verify": "pass", "heal": {
        "incident_id": "i-1", "tier": "L1", "runbook_id": "RB-WIN-FIREWALL-001", "rule_id": "L1-FIREWALL-001",
        "duration_ms": 12.3}}


def test_cycle_every_check_run_and_heal_signed_with_the_appliance_key(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    target.executor.drift("firewall_status")
    agent = make_agent([target])
    report = agent.cycle()
    assert report.outcomes == {"L1:healed": 1} and report.outbox_depth == 0
    bundles = _bundles(state)
    checks = [b for b in bundles if b.bundle.kind == "check"]
    (heal,) = [b for b in bundles if b.bundle.kind == "heal"]
    assert len(checks) == report.checks
    for signed in bundles:
        verify_signed(signed, agent.keys.signing_key.verify_key)
        assert (signed.bundle.site_id, signed.bundle.appliance_id) == (state.site_id, state.appliance_id)
    assert state.keys["signing_public_key"]  # the key Central Command verifies with was registered
    failed = [b.bundle for b in checks if b.bundle.check_type == "firewall_status"]
    assert [b.result for b in failed] == ["fail"]
    assert (heal.bundle.check_type, heal.bundle.target, heal.bundle.result) == ("firewall_status", "w1", "healed")
    assert heal.bundle.before["check"] == "fail" and heal.bundle.after["check"] == "pass"
    assert heal.bundle.after["heal"]["runbook_id"] == "RB-WIN-FIREWALL-001"
    # the second cycle runs every check again: new evidence, while unchanged check results are not resent
    again = agent.cycle()
    assert len([b for b in _bundles(state) if b.bundle.kind == "check"]) == report.checks + again.checks


@pytest.mark.parametrize(("mode", "checks", "heals"), [("heals", 0, 1), ("off", 0, 0)])
def test_cycle_evidence_mode_limits_bundles(central, make_agent, mode, checks, heals):
    state, _ = central
    target = sim("w1", "windows")
    target.executor.drift("firewall_status")
    make_agent([target], evidence=mode).cycle()
    kinds = [b.bundle.kind for b in _bundles(state)]
    assert (kinds.count("check"), kinds.count("heal")) == (checks, heals)


def test_cycle_before_first_checkin_signs_nothing(central, make_agent):
    state, _ = central
    state.fail_status = 503  # Central Command unreachable: the appliance does not know its id yet
    agent = make_agent([sim("l1", "linux")])
    report = agent.cycle()
    assert report.checks > 0 and agent.evidence.unattributed == report.checks
    assert [e for e in agent.outbox.peek(1000) if e.kind == "evidence_bundle"] == []


def test_evidence_key_is_the_appliances_own_and_not_another(central, make_agent):
    state, _ = central
    make_agent([sim("l1", "linux")]).cycle()
    signed = _bundles(state)[0]
    with pytest.raises(Exception, match="signed by key"):
        verify_signed(signed, nacl.signing.SigningKey.generate().verify_key)


def test_settings_evidence_mode_from_environment(monkeypatch):
    monkeypatch.setenv("MSP_EVIDENCE", "heals")
    assert load_settings().evidence == "heals"
    monkeypatch.setenv("MSP_EVIDENCE", "sometimes")
    with pytest.raises(SettingsError, match="evidence"):
        load_settings()


def test_cycle_unsignable_facts_skip_that_bundle_only(central, make_agent):
    # A check that prints NaN has no canonical JSON form: no bundle for it, the cycle and the rest go on.
    state, _ = central
    target = sim("w1", "windows")
    target.executor.drift("firewall_status", details={"ratio": float("nan")})
    agent = make_agent([target], evidence="all")
    report = agent.cycle()
    assert report.outbox_depth == 0 and agent.evidence.unsignable >= 1
    checks = [b for b in _bundles(state) if b.bundle.kind == "check"]
    assert len(checks) == report.checks - 1 and "firewall_status" not in {b.bundle.check_type for b in checks}
