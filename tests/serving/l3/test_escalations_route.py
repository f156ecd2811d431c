"""Escalations over HTTP: appliances' telemetry escalates and heals, people list and resolve, roles hold.

Appliance escalations arrive the way the agent sends them, as `escalation` telemetry events; a
`healing_outcome` marked healed resolves them. Delivery runs in the background after the ingest
commits, so each test drains the engine before reading what the receivers got.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from contracts.incidents import HealingOutcome
from contracts.telemetry import EventKind, event
from serving.l3.engine import Engine
from tests.serving import factories
from tests.serving.factories import bearer
from tests.serving.l3.conftest import fast, request
from tests.serving.l3.receivers import Reply, http_receiver


@pytest.fixture
def channels():
    """A Slack and a PagerDuty receiver."""
    with ExitStack() as stack:
        slack = stack.enter_context(http_receiver())
        pd = stack.enter_context(http_receiver(Reply(202, '{"status":"success"}'), path="/v2/enqueue"))
        yield slack, pd


def _engine(slack, pd, catalog) -> Engine:
    return Engine(fast(slack_webhook_url=slack.url, pagerduty_routing_key="RK" * 16,
                       pagerduty_events_url=pd.url), catalog=catalog)


async def _site_with_appliance(api, name="Main Street Clinic"):
    site_id = await factories.site(api.client, api.admin, name)
    return site_id, await factories.appliance(api.client, api.admin, site_id)


async def _telemetry(api, handle, *events):
    r = await api.client.post("/api/agent/telemetry", headers=handle.headers,
                              json={"events": [e.model_dump(mode="json") for e in events]})
    assert r.status_code == 200, r.text
    await api.app.state.l3_engine.drain()
    return r.json()


async def test_telemetry_escalation_notifies_and_healed_outcome_resolves(api, channels, catalog):
    slack, pd = channels
    api.app.state.l3_engine = _engine(slack, pd, catalog)
    site_id, handle = await _site_with_appliance(api)
    esc = request(site_id, "inc-tel-1")
    ack = await _telemetry(api, handle, event(EventKind.ESCALATION, esc))
    assert ack == {"accepted": 1, "duplicates": 0}
    assert pd.bodies[0]["event_action"] == "trigger" and pd.bodies[0]["dedup_key"] == "inc-tel-1"
    assert len(slack.posts) == 1
    # The same batch again (a lost acknowledgement): nothing new is sent.
    assert (await _telemetry(api, handle, event(EventKind.ESCALATION, esc)))["duplicates"] == 1
    assert len(pd.posts) == 1
    listed = (await api.client.get("/api/escalations", headers=bearer(api.admin))).json()
    assert [(e["incident_id"], e["status"], e["site_name"]) for e in listed] == [
        ("inc-tel-1", "notified", "Main Street Clinic")]
    assert {a["channel"] for a in listed[0]["attempts"]} == {"pagerduty", "slack"}
    healed = HealingOutcome(incident_id="inc-tel-1", site_id=site_id, tier="L1", status="healed",
                            runbook_id="RB-WIN-FIREWALL-001", pattern_signature="abc")
    await _telemetry(api, handle, event(EventKind.HEALING_OUTCOME, healed))
    assert pd.bodies[-1] == {"routing_key": "RK" * 16, "event_action": "resolve", "dedup_key": "inc-tel-1"}
    assert slack.bodies[-1]["text"].startswith("Resolved:")
    listed = (await api.client.get("/api/escalations", headers=bearer(api.admin))).json()
    assert listed[0]["status"] == "resolved" and listed[0]["resolved_by"].startswith("appliance")
    await api.app.state.l3_engine.close()


async def test_telemetry_repeats_listed_once_with_occurrences(api, channels, catalog):
    slack, pd = channels
    api.app.state.l3_engine = _engine(slack, pd, catalog)
    site_id, handle = await _site_with_appliance(api)
    await _telemetry(api, handle, *(event(EventKind.ESCALATION, request(site_id, "inc-rep")) for _ in range(3)))
    listed = (await api.client.get("/api/escalations", headers=bearer(api.admin))).json()
    assert len(listed) == 1 and listed[0]["occurrences"] == 3
    assert len(slack.posts) == 1
    await api.app.state.l3_engine.close()


async def test_no_channel_escalation_waits_in_queue_visible_to_auditor(api):
    api.app.state.l3_engine = Engine(fast())
    site_id, handle = await _site_with_appliance(api)
    await _telemetry(api, handle, event(EventKind.ESCALATION, request(site_id, "inc-queued")))
    auditor = await factories.token(api.pool, "auditor")
    r = await api.client.get("/api/escalations", params={"status": "queued"}, headers=bearer(auditor))
    assert r.status_code == 200
    assert [(e["incident_id"], e["status"], e["attempts"]) for e in r.json()] == [("inc-queued", "queued", [])]


async def test_partner_sees_and_resolves_own_sites_only(api):
    api.app.state.l3_engine = Engine(fast())
    site_a, app_a = await _site_with_appliance(api, "A")
    site_b, app_b = await _site_with_appliance(api, "B")
    await _telemetry(api, app_a, event(EventKind.ESCALATION, request(site_a, "inc-a")))
    await _telemetry(api, app_b, event(EventKind.ESCALATION, request(site_b, "inc-b")))
    partner = await factories.token(api.pool, "partner", [site_a])
    mine = (await api.client.get("/api/escalations", headers=bearer(partner))).json()
    assert [e["incident_id"] for e in mine] == ["inc-a"]
    r = await api.client.get("/api/escalations", params={"site_id": site_b}, headers=bearer(partner))
    assert r.status_code == 403
    admin_view = (await api.client.get("/api/escalations", headers=bearer(api.admin))).json()
    other = next(e for e in admin_view if e["incident_id"] == "inc-b")
    r = await api.client.post(f"/api/escalations/{other['id']}/resolve", headers=bearer(partner))
    assert r.status_code == 403
    own = mine[0]["id"]
    r = await api.client.post(f"/api/escalations/{own}/resolve", json={"note": "patched by hand"},
                              headers=bearer(partner))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved" and r.json()["resolved_by"].endswith("patched by hand")


async def test_resolve_answers_404_409_400_and_auditor_403(api):
    api.app.state.l3_engine = Engine(fast())
    site_id, handle = await _site_with_appliance(api)
    await _telemetry(api, handle, event(EventKind.ESCALATION, request(site_id, "inc-x")))
    esc_id = (await api.client.get("/api/escalations", headers=bearer(api.admin))).json()[0]["id"]
    auditor = await factories.token(api.pool, "auditor")
    assert (await api.client.post(f"/api/escalations/{esc_id}/resolve", headers=bearer(auditor))).status_code == 403
    assert (await api.client.post(f"/api/escalations/{esc_id}/resolve", headers=bearer(api.admin))).status_code == 200
    again = await api.client.post(f"/api/escalations/{esc_id}/resolve", headers=bearer(api.admin))
    assert again.status_code == 409
    missing = "6f1c2b9e-0000-4000-8000-000000000000"
    r = await api.client.post(f"/api/escalations/{missing}/resolve", headers=bearer(api.admin))
    assert r.status_code == 404 and missing in r.json()["detail"]
    assert (await api.client.post("/api/escalations/nope/resolve", headers=bearer(api.admin))).status_code == 400
    r = await api.client.get("/api/escalations", params={"status": "bogus"}, headers=bearer(api.admin))
    assert r.status_code == 400
