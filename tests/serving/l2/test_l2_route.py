"""`POST /api/agent/l2/plan` over HTTP: appliance auth, PHI refusal, site scoping, and the agent's own check."""

from __future__ import annotations

import uuid

from agent.l2 import judge
from contracts.incidents import L2Decision
from serving.l2.planner import Planner
from tests.serving import factories
from tests.serving.factories import bearer
from tests.serving.l2 import fake_anthropic as fa
from tests.serving.l2.conftest import firewall_incident, llm_settings, request_for

PATH = "/api/agent/l2/plan"


async def _setup(api, catalog, base_url):
    site_id = await factories.site(api.client, api.admin)
    handle = await factories.appliance(api.client, api.admin, site_id)
    api.app.state.l2_planner = Planner(llm_settings(base_url), catalog=catalog)
    return handle


async def test_l2_plan_appliance_gets_decision_the_agent_accepts(api, catalog):
    with fa.serve([fa.tool("RB-WIN-FIREWALL-001", 0.93)]) as server:
        handle = await _setup(api, catalog, server.base_url)
        incident = firewall_incident(handle.site_id)
        r = await api.client.post(PATH, json=request_for(incident, catalog).model_dump(mode="json"),
                                  headers=handle.headers)
        await api.app.state.l2_planner.close()
    assert r.status_code == 200, r.text
    body = r.json()
    decision = L2Decision.model_validate(body)
    assert decision.runbook_id == "RB-WIN-FIREWALL-001" and decision.provider == "anthropic"
    # The appliance re-checks every answer with its own guardrails before running anything.
    plan = judge(body, incident, catalog, {})
    assert plan.refused is None and plan.runbook is not None and plan.runbook.id == "RB-WIN-FIREWALL-001"
    stored = await api.pool.fetchval("SELECT appliance_id FROM l2_decisions WHERE decision_id = $1",
                                     decision.decision_id)
    assert str(stored) == handle.appliance_id


async def test_l2_plan_phi_refused_400(api, catalog):
    handle = await _setup(api, catalog, None)
    incident = firewall_incident(handle.site_id, contact="call 217-555-0134 or jdoe@example.com")
    r = await api.client.post(PATH, json=request_for(incident, catalog).model_dump(mode="json"),
                              headers=handle.headers)
    assert r.status_code == 400
    assert "PHI" in r.json()["detail"] and "555-0134" not in r.json()["detail"]


async def test_l2_plan_other_sites_incident_forbidden(api, catalog):
    handle = await _setup(api, catalog, None)
    incident = firewall_incident(uuid.uuid4())
    r = await api.client.post(PATH, json=request_for(incident, catalog).model_dump(mode="json"),
                              headers=handle.headers)
    assert r.status_code == 403


async def test_l2_plan_people_and_strangers_refused(api, catalog):
    handle = await _setup(api, catalog, None)
    body = request_for(firewall_incident(handle.site_id), catalog).model_dump(mode="json")
    assert (await api.client.post(PATH, json=body)).status_code == 401
    assert (await api.client.post(PATH, json=body, headers=bearer(api.admin))).status_code == 403


async def test_l2_plan_malformed_body_400(api, catalog):
    handle = await _setup(api, catalog, None)
    r = await api.client.post(PATH, json={"incident": {"site_id": handle.site_id}, "platform": 3},
                              headers=handle.headers)
    assert r.status_code == 400
