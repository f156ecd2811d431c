"""Bundle sync: verified bundles install; downgraded, tampered, expired or foreign ones are refused
while the held bundle keeps working."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import nacl.signing
import pytest

from contracts.bundles import sign_bundle
from contracts.envelope import envelope_digest
from tests.agent.conftest import sim

SMB_RULE = {"id": "L1-PROMO-SMBSIGN", "priority": 50, "source": "promoted", "action": "execute_runbook",
            "runbook_id": "RB-WIN-SMBSIGN-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "smb_signing"}]}
ESCALATE_RULE = {**SMB_RULE, "action": "escalate", "runbook_id": None, "id": "L1-ESC-SMBSIGN"}


def _drift_cycle(agent, target) -> dict:
    target.executor.drift("smb_signing")
    return agent.cycle().outcomes


def test_bundle_installed_and_its_rule_heals(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    agent = make_agent([target], check_types=["smb_signing"])
    state.publish([SMB_RULE], version=1)
    assert _drift_cycle(agent, target) == {"L1:healed": 1}
    assert agent.rules.version == 1 and agent.store.bundle()["version"] == 1


def test_bundle_unchanged_digest_not_downloaded_again(central, make_agent):
    state, server = central
    agent = make_agent([])
    state.publish([SMB_RULE], version=1)
    agent.cycle()
    calls = []
    real = agent.central.fetch_bundle
    agent.central.fetch_bundle = lambda etag: calls.append(etag) or real(etag)
    agent.cycle()
    assert calls == []


def _refused_keeps_old(state, agent, target, envelope: bytes, match: str) -> None:
    state.bundle = envelope
    report = agent.cycle()
    assert report.bundle_refused and match in report.bundle_refused
    assert agent.rules.version == 1
    assert _drift_cycle(agent, target) == {"L1:healed": 1}  # v1's rule still heals
    assert agent.store.get("bundle_refused_digest") == envelope_digest(envelope)


@pytest.fixture
def held_v1(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    agent = make_agent([target], check_types=["smb_signing"])
    state.publish([SMB_RULE], version=2)
    agent.cycle()
    return state, agent, target


def test_bundle_downgrade_refused_old_keeps_working(held_v1):
    state, agent, target = held_v1
    assert agent.rules.version == 2
    state.bundle = sign_bundle([ESCALATE_RULE], version=1, signing_key=state.signing_key)
    report = agent.cycle()
    assert "VersionRollbackError" in report.bundle_refused and agent.rules.version == 2
    assert _drift_cycle(agent, target) == {"L1:healed": 1}


def test_bundle_same_version_resigned_refused(held_v1):
    state, agent, _ = held_v1
    state.bundle = sign_bundle([ESCALATE_RULE], version=2, signing_key=state.signing_key)
    assert "VersionRollbackError" in agent.cycle().bundle_refused


def test_bundle_tampered_refused_old_keeps_working(held_v1):
    state, agent, target = held_v1
    env = json.loads(sign_bundle([SMB_RULE], version=3, signing_key=state.signing_key))
    payload = json.loads(base64.b64decode(env["payload"]))
    payload["rules"] = [ESCALATE_RULE]
    env["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    state.bundle = json.dumps(env).encode()
    report = agent.cycle()
    assert "BadSignatureError" in report.bundle_refused and agent.rules.version == 2
    assert _drift_cycle(agent, target) == {"L1:healed": 1}


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda s: sign_bundle([ESCALATE_RULE], version=3, signing_key=s.signing_key, expires_in=timedelta(days=-1)), "ExpiredError"),
        (lambda s: sign_bundle([ESCALATE_RULE], version=3, signing_key=nacl.signing.SigningKey.generate()), "UnknownKeyError"),
        (lambda s: sign_bundle([{**SMB_RULE, "runbook_id": "RB-WIN-NOPE-001"}], version=3, signing_key=s.signing_key), "UnknownRunbookError"),
        (lambda s: b"{not json", "MalformedEnvelopeError"),
    ],
)
def test_bundle_bad_refused_once_not_refetched(held_v1, make, error):
    state, agent, target = held_v1
    state.bundle = make(state)
    assert error in agent.cycle().bundle_refused
    fetched = []
    real = agent.central.fetch_bundle
    agent.central.fetch_bundle = lambda etag: fetched.append(etag) or real(etag)
    agent.cycle()
    assert fetched == [] and agent.rules.version == 2
    assert _drift_cycle(agent, target) == {"L1:healed": 1}


def test_bundle_held_across_restart_and_reverified(central, make_agent):
    state, _ = central
    agent = make_agent([], check_types=["smb_signing"])
    state.publish([SMB_RULE], version=4)
    agent.cycle()
    agent.close()
    target = sim("w1", "windows")
    state.fail_status = 503  # Central down: the held bundle alone must heal
    again = make_agent([target], check_types=["smb_signing"])
    assert again.rules.version == 4
    assert _drift_cycle(again, target) == {"L1:healed": 1}


def test_bundle_shadow_rule_recorded_never_acted_on(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    agent = make_agent([target], check_types=["smb_signing"])
    state.publish([{**SMB_RULE, "status": "shadow"}], version=1)
    outcomes = _drift_cycle(agent, target)
    assert outcomes == {"L3:escalated": 1}  # no active rule, no L2 on the stub: a person decides
    assert target.executor.stats.remediations == 0
    shadow = [e["payload"] for e in state.events.values() if e["kind"] == "shadow_match"]
    assert [s["rule_id"] for s in shadow] == ["L1-PROMO-SMBSIGN"] and shadow[0]["runbook_id"] == "RB-WIN-SMBSIGN-001"
