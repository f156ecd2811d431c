"""The learned planner: trained only on verified heals, confidence shrunk by evidence, retrained lazily.

Pure tests feed `train` literal rows; the database tests put incidents, decisions and outcomes in
through the real telemetry ingest, the way appliances report them.
"""

from __future__ import annotations

import pytest

from contracts.incidents import HealingOutcome, Incident, L2Decision, signature_facts
from contracts.telemetry import EventKind, event
from serving.l2.errors import NoTrainingData
from serving.l2.learned import LearnedPlanner, train
from serving.l2.planner import Planner
from serving.services.telemetry import ingest
from tests.serving.l2 import fake_anthropic as fa
from tests.serving.l2.conftest import firewall_incident, llm_settings, request_for


def _facts(**details) -> dict:
    return signature_facts({"check_type": "firewall_status", "platform": "windows", "details": details})


def test_train_no_rows_declines():
    with pytest.raises(NoTrainingData):
        train([], mark=0).predict(_facts(profile="domain"))


def test_predict_single_heal_needs_human_review():
    model = train([{"runbook_id": "RB-WIN-FIREWALL-001", "facts": _facts(profile="domain")}], mark=1)
    answer = model.predict(_facts(profile="domain"))
    assert answer.runbook_id == "RB-WIN-FIREWALL-001"
    assert answer.confidence == pytest.approx(0.5)  # one heal is an anecdote: below 0.7


def test_predict_three_agreeing_heals_confident():
    rows = [{"runbook_id": "RB-WIN-FIREWALL-001", "facts": _facts(profile="domain")}] * 3
    answer = train(rows, mark=3).predict(_facts(profile="domain"))
    assert answer.confidence == pytest.approx(0.75)
    assert "3 verified heals" in answer.reasoning


def test_predict_details_split_between_runbooks():
    rows = ([{"runbook_id": "RB-WIN-FIREWALL-001", "facts": _facts(profile="domain", vendor="windows")}] * 3
            + [{"runbook_id": "RB-WIN-THIRDPARTY-001", "facts": _facts(profile="domain", vendor="acme")}] * 3)
    model = train(rows, mark=6)
    assert model.predict(_facts(profile="domain", vendor="windows")).runbook_id == "RB-WIN-FIREWALL-001"
    assert model.predict(_facts(profile="domain", vendor="acme")).runbook_id == "RB-WIN-THIRDPARTY-001"


def test_predict_unseen_check_type_declines():
    model = train([{"runbook_id": "RB-WIN-FIREWALL-001", "facts": _facts(profile="domain")}] * 3, mark=3)
    other = signature_facts({"check_type": "smbv1_disabled", "platform": "windows", "details": {}})
    with pytest.raises(NoTrainingData):
        model.predict(other)


def test_train_falls_back_to_incident_payload_when_no_facts():
    incident = {"check_type": "firewall_status", "platform": "windows", "details": {"profile": "domain"}}
    model = train([{"runbook_id": "RB-WIN-FIREWALL-001", "facts": None, "incident": incident}] * 2, mark=2)
    assert model.predict(_facts(profile="domain")).runbook_id == "RB-WIN-FIREWALL-001"


async def _history(pool, appliance, runbook_id: str, status: str, n: int, **details) -> None:
    """n incidents planned by an appliance's L2 and run, with their verified outcome, via telemetry."""
    events = []
    for _ in range(n):
        inc = Incident(site_id=str(appliance.site_id), host="pc-9", check_type="firewall_status",
                       platform="windows", details={"profile": "domain", **details})
        dec = L2Decision(incident_id=inc.incident_id, site_id=inc.site_id, runbook_id=runbook_id, confidence=0.9,
                         pattern_signature=inc.pattern_signature, provider="anthropic")
        out = HealingOutcome(incident_id=inc.incident_id, site_id=inc.site_id, tier="L2", status=status,
                             runbook_id=runbook_id, decision_id=dec.decision_id,
                             pattern_signature=inc.pattern_signature)
        events += [event(EventKind.INCIDENT, inc), event(EventKind.L2_DECISION, dec),
                   event(EventKind.HEALING_OUTCOME, out)]
    await ingest(pool, appliance, events)


async def test_learned_planner_learns_only_from_healed_outcomes(pool, appliance):
    await _history(pool, appliance, "RB-WIN-FIREWALL-001", "healed", 3)
    await _history(pool, appliance, "RB-WIN-SMBV1-001", "failed", 6)
    answer = await LearnedPlanner().plan(pool, firewall_incident(appliance.site_id))
    assert answer.runbook_id == "RB-WIN-FIREWALL-001"
    assert answer.confidence == pytest.approx(0.75)


async def test_learned_planner_retrains_when_new_outcomes_arrive(pool, appliance):
    planner = LearnedPlanner()
    with pytest.raises(NoTrainingData):
        await planner.plan(pool, firewall_incident(appliance.site_id))
    await _history(pool, appliance, "RB-WIN-FIREWALL-001", "healed", 1)
    assert (await planner.plan(pool, firewall_incident(appliance.site_id))).confidence == pytest.approx(0.5)
    await _history(pool, appliance, "RB-WIN-FIREWALL-001", "healed", 3)
    assert (await planner.plan(pool, firewall_incident(appliance.site_id))).confidence == pytest.approx(0.8)


async def test_plan_timeout_answered_by_learned_planner(pool, appliance, catalog):
    await _history(pool, appliance, "RB-WIN-FIREWALL-001", "healed", 3)
    slow = fa.tool("RB-WIN-FIREWALL-001", 0.9)
    slow.delay = 3.0
    with fa.serve([slow]) as server:
        planner = Planner(llm_settings(server.base_url, llm_timeout=0.3), catalog=catalog)
        decision = await planner.plan(pool, appliance, request_for(firewall_incident(appliance.site_id), catalog))
        await planner.close()
    assert decision.provider == "learned" and decision.model == "decision-tree"
    assert decision.runbook_id == "RB-WIN-FIREWALL-001"
    assert decision.requires_human_review is False
    row = await pool.fetchrow("SELECT provider, fallback_reason FROM l2_decisions WHERE decision_id = $1",
                              decision.decision_id)
    assert dict(row) == {"provider": "learned", "fallback_reason": "timeout"}
