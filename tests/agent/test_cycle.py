"""The whole cycle against a live stub Central Command: L1, L2 with guardrails, L3, flap, dry run,
store-and-forward."""

from __future__ import annotations

from fastapi import HTTPException

from agent.executors.base import ExecResult, Target
from agent.status import read_status
from tests.agent.conftest import sim


def _events(state, kind):
    return [e["payload"] for e in state.events.values() if e["kind"] == kind]


def test_cycle_l1_drift_healed_and_reported(central, make_agent):
    state, _ = central
    win, lnx = sim("w1", "windows"), sim("l1", "linux")
    win.executor.drift("firewall_status")
    lnx.executor.drift("ssh_root_login")
    report = make_agent([win, lnx]).cycle()
    assert report.checked_in and report.outcomes == {"L1:healed": 2} and report.outbox_depth == 0
    assert win.executor.is_compliant("firewall_status") and lnx.executor.is_compliant("ssh_root_login")
    outcomes = {(o["host"], o["rule_id"], o["runbook_id"], o["tier"], o["status"]) for o in _events(state, "healing_outcome")}
    assert outcomes == {("w1", "L1-FIREWALL-001", "RB-WIN-FIREWALL-001", "L1", "healed"),
                        ("l1", "L1-SSHROOT-001", "RB-LNX-SSHROOT-001", "L1", "healed")}
    incidents = _events(state, "incident")
    assert len(incidents) == 2 and all(len(i["pattern_signature"]) == 16 for i in incidents)
    assert len(_events(state, "check_result")) == 31  # first cycle: every check reported once


def test_cycle_unchanged_checks_not_reported_again(central, make_agent):
    state, _ = central
    agent = make_agent([sim("l1", "linux")], evidence="heals")  # every check run is evidence by default
    agent.cycle()
    before = len(state.events)
    agent.cycle()
    assert len(state.events) == before


class Recorder:
    """Wraps an executor and keeps every script it was asked to run."""

    def __init__(self, inner):
        self.inner, self.scripts = inner, []

    def run(self, command, *, timeout, sudo=False, stdin=None) -> ExecResult:
        self.scripts.append(command)
        return self.inner.run(command, timeout=timeout, sudo=sudo, stdin=stdin)


def _ntp_to_l2(state):
    # Disable the builtin time-sync rule through a bundle, so that drift goes to L2.
    state.publish([{"id": "L1-NTP-001", "enabled": False, "action": "execute_runbook", "runbook_id": "RB-WIN-NTP-001",
                    "conditions": [{"field": "check_type", "operator": "eq", "value": "time_sync"}]}], version=1)


def _decision(request, **over):
    incident = request["incident"]
    body = {"incident_id": incident["incident_id"], "site_id": incident["site_id"], "runbook_id": "RB-WIN-NTP-001",
            "confidence": 0.92, "pattern_signature": incident["pattern_signature"], "provider": "stub",
            "reasoning": "time source lost", "params": {"ntp_server": "[IP_1]"}}
    body.update(over)
    return body


def test_cycle_l2_plan_scrubbed_out_restored_in_and_healed(central, make_agent):
    state, _ = central
    _ntp_to_l2(state)
    state.l2 = _decision
    sim_target = sim("w1", "windows")
    rec = Recorder(sim_target.executor)
    agent = make_agent([Target("w1", "windows", rec)], check_types=["time_sync"])
    agent.cycle()  # installs the bundle
    sim_target.executor.drift("time_sync", {"source": "local_clock", "peer": "10.20.30.40"})
    report = agent.cycle()
    assert report.outcomes == {"L2:healed": 1}
    sent = state.l2_requests[0]["incident"]
    assert "10.20.30.40" not in str(sent) and sent["details"]["peer"] == "[IP_1]"
    assert "RB-WIN-NTP-001" in state.l2_requests[0]["runbooks"]
    remediation = next(s for s in rec.scripts if "osiris:remediate" in s)
    assert "$Param_ntp_server = '10.20.30.40'" in remediation
    (outcome,) = [o for o in _events(state, "healing_outcome") if o["tier"] == "L2"]
    (decision,) = _events(state, "l2_decision")
    assert outcome["decision_id"] == decision["decision_id"] and outcome["status"] == "healed"


def _l2_refusal(central, make_agent, **over):
    state, _ = central
    _ntp_to_l2(state)
    state.l2 = lambda req: _decision(req, **over)
    target = sim("w1", "windows")
    agent = make_agent([target], check_types=["time_sync"])
    agent.cycle()
    target.executor.drift("time_sync")
    report = agent.cycle()
    assert report.outcomes == {"L3:escalated": 1} and target.executor.stats.remediations == 0
    (esc,) = _events(state, "escalation")
    return esc["reason"]


def test_cycle_l2_low_confidence_escalated(central, make_agent):
    assert "human review" in _l2_refusal(central, make_agent, confidence=0.5)


def test_cycle_l2_runbook_for_other_platform_escalated(central, make_agent):
    assert "windows" in _l2_refusal(central, make_agent, runbook_id="RB-LNX-NTP-001", params={})


def test_cycle_l2_params_outside_schema_escalated(central, make_agent):
    assert "ntp_server" in _l2_refusal(central, make_agent, params={"ntp_server": "x; Restart-Computer"})


def test_cycle_l2_unknown_runbook_escalated(central, make_agent):
    assert "not in the catalog" in _l2_refusal(central, make_agent, runbook_id="RB-WIN-MADEUP-001")


def test_cycle_no_l2_endpoint_escalates(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    target.executor.drift("smb_signing")
    report = make_agent([target], check_types=["smb_signing"]).cycle()
    assert report.outcomes == {"L3:escalated": 1} and "unavailable" in _events(state, "escalation")[0]["reason"]


def test_cycle_l2_outage_retried_then_escalated(central, make_agent):
    state, _ = central

    def down(req):
        raise HTTPException(503, "planner overloaded")

    state.l2 = down
    target = sim("w1", "windows")
    target.executor.drift("smb_signing")
    agent = make_agent([target], check_types=["smb_signing"], l2_max_attempts=3)
    assert [agent.cycle().outcomes for _ in range(3)] == [{"pending_l2": 1}, {"pending_l2": 1}, {"L3:escalated": 1}]
    assert len(state.l2_requests) == 3 and len(_events(state, "incident")) == 1


def test_cycle_flapping_drift_suppressed_and_escalated_once(central, make_agent):
    state, _ = central
    target = sim("l1", "linux")
    target.executor.set_flappy("firewall_status")
    target.executor.drift("firewall_status")
    agent = make_agent([target], check_types=["firewall_status"], flap_threshold=3)
    outcomes = [agent.cycle().outcomes for _ in range(6)]
    assert outcomes[:3] == [{"L1:healed": 1}] * 3 and outcomes[3] == {"suppressed": 1} and outcomes[4:] == [{}, {}]
    assert target.executor.stats.remediations == 3
    (esc,) = _events(state, "escalation")
    assert "flapping" in esc["reason"]
    status = read_status(agent.settings)
    assert [(s["host"], s["check_type"]) for s in status["suppressions"]] == [("l1", "firewall_status")]


def test_cycle_escalated_incident_resolved_when_drift_clears(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    target.executor.drift("smb_signing")
    agent = make_agent([target], check_types=["smb_signing"])
    agent.cycle()
    assert agent.cycle().outcomes == {}  # still failing, already escalated: nothing new
    target.executor.run.__self__._states["smb_signing"].compliant = True  # a person fixed it
    assert agent.cycle().outcomes == {"resolved": 1}
    assert [e["resolved"] for e in _events(state, "escalation")] == [False, True] or \
        sorted(e["resolved"] for e in _events(state, "escalation")) == [False, True]


def test_cycle_dry_run_plans_once_and_executes_nothing(central, make_agent):
    state, _ = central
    target = sim("l1", "linux")
    target.executor.drift("firewall_status")
    agent = make_agent([target], check_types=["firewall_status"], dry_run=True)
    assert agent.cycle().outcomes == {"L1:planned": 1}
    assert agent.cycle().outcomes == {}
    assert target.executor.stats.remediations == 0
    assert [o["status"] for o in _events(state, "healing_outcome")] == ["planned"]


def test_cycle_central_down_then_back_every_event_exactly_once_oldest_first(central, make_agent):
    state, server = central
    target = sim("l1", "linux", drift_rate=0.3, seed=7)
    agent = make_agent([target])
    agent.cycle()
    server.stop()
    for _ in range(5):
        report = agent.cycle()
        assert not report.checked_in and report.central_error
    queued = [(item.kind, item.event_id) for item in agent.outbox.peek(10_000)]
    assert len(queued) > 10
    server.start()
    agent.outbox.store.delete("outbox_next_attempt")  # skip the remaining backoff wait
    report = agent.cycle()
    assert report.outbox_depth == 0
    delivered_now = state.received[-report.flushed:]
    assert delivered_now[: len(queued)] == queued  # what waited went first, in the order it was queued
    assert len(state.received) == len(set(state.received)) == len(state.events)


def test_cycle_outbox_full_pauses_healing_with_alarm(central, make_agent):
    state, server = central
    target = sim("l1", "linux", drift_rate=1.0)
    server.stop()
    agent = make_agent([target], outbox_max_events=40)
    agent.cycle()
    report = agent.cycle()
    assert report.healing_paused and "outbox full" in report.healing_paused
    assert agent.outbox.depth() <= 40
    healed_while_full = target.executor.stats.remediations
    agent.cycle()
    assert target.executor.stats.remediations == healed_while_full
    server.start()
    agent.outbox.store.delete("outbox_next_attempt")
    agent.outbox.flush(agent.central.send_telemetry)
    assert agent.healing_paused() is None


def test_run_survives_a_failing_cycle_and_keeps_going(central, make_agent, caplog):
    state, _ = central

    class Broken:
        def run(self, command, *, timeout, sudo=False, stdin=None):
            raise RuntimeError("executor bug")

    agent = make_agent([Target("b1", "linux", Broken())])
    assert agent.run(max_cycles=3) == 0
    assert len(state.checkins) == 3 and "executor bug" in caplog.text
