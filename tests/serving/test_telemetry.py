"""Telemetry over HTTP: idempotent by event id, 10,000-event batches, sites taken from the API key."""

from __future__ import annotations

import copy
import uuid

import pytest

from contracts.telemetry import MAX_BATCH_EVENTS, EventKind, event
from serving.services.telemetry import TABLES
from tests.serving import factories
from tests.serving.factories import bearer

TELEMETRY = "/api/agent/telemetry"


async def _count(pool, table: str) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names from TABLES


async def _order_for(api, appliance) -> str:
    r = await api.client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "force_checkin"},
                              headers=bearer(api.admin))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_every_kind_lands_in_its_table_with_typed_columns(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    order_id = await _order_for(api, appliance)
    events = factories.one_of_each(sid, order_id, appliance=appliance)
    r = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": len(events), "duplicates": 0}
    for table in TABLES.values():
        assert await _count(api.pool, table) == 1, table
    row = await api.pool.fetchrow("SELECT * FROM l2_decisions")
    assert (row["runbook_id"], row["confidence"], row["cost_usd"]) == ("RB-WIN-FIREWALL-001", 0.9, 0.001)
    assert str(row["site_id"]) == sid and str(row["appliance_id"]) == appliance.appliance_id
    assert row["ingest_seq"] >= 1 and row["payload"]["decision_id"] == row["decision_id"]
    inc = await api.pool.fetchrow("SELECT * FROM incidents")
    assert (inc["check_type"], inc["platform"], inc["severity"]) == ("firewall_status", "windows", "medium")
    assert len(inc["pattern_signature"]) == 16
    esc = await api.pool.fetchrow("SELECT status, reason FROM escalations")
    assert tuple(esc) == ("open", "no runbook")
    order = await api.client.get(f"/api/orders/{order_id}", headers=bearer(api.admin))
    assert (order.json()["status"], order.json()["detail"]) == ("completed", "ok")
    devices = await api.client.get(f"/api/sites/{sid}/devices", headers=bearer(api.admin))
    assert [(d["hostname"], d["source"], d["ip"]) for d in devices.json()] == [("printer-2", "scan", "10.0.0.7")]


async def test_replayed_batch_adds_nothing(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    events = factories.one_of_each(sid, appliance=appliance)
    first = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    before = {t: await _count(api.pool, t) for t in TABLES.values()}
    again = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    assert first.json() == {"accepted": len(events), "duplicates": 0}
    assert again.json() == {"accepted": 0, "duplicates": len(events)}
    assert {t: await _count(api.pool, t) for t in TABLES.values()} == before


async def test_duplicate_inside_one_batch_counted_once(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = event(EventKind.INCIDENT, factories.incident(sid)).model_dump(mode="json")
    r = await api.client.post(TELEMETRY, json={"events": [ev, copy.deepcopy(ev)]}, headers=appliance.headers)
    assert r.json() == {"accepted": 1, "duplicates": 1}


async def test_ten_thousand_event_batch_accepted(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    events = [event(EventKind.INCIDENT, factories.incident(sid, host=f"pc-{i}")).model_dump(mode="json")
              for i in range(MAX_BATCH_EVENTS)]
    r = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers, timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert r.json() == {"accepted": MAX_BATCH_EVENTS, "duplicates": 0}
    assert await _count(api.pool, "incidents") == MAX_BATCH_EVENTS
    seqs = [r[0] for r in await api.pool.fetch("SELECT ingest_seq FROM incidents ORDER BY ingest_seq")]
    assert len(set(seqs)) == MAX_BATCH_EVENTS


async def test_batch_over_limit_400(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = event(EventKind.INCIDENT, factories.incident(sid)).model_dump(mode="json")
    r = await api.client.post(TELEMETRY, json={"events": [ev] * (MAX_BATCH_EVENTS + 1)}, headers=appliance.headers)
    assert r.status_code == 400


async def test_event_naming_another_site_refuses_whole_batch(api):
    mine = await factories.site(api.client, api.admin, "Mine")
    theirs = await factories.site(api.client, api.admin, "Theirs")
    appliance = await factories.appliance(api.client, api.admin, mine)
    good = event(EventKind.INCIDENT, factories.incident(mine)).model_dump(mode="json")
    forged = event(EventKind.INCIDENT, factories.incident(theirs)).model_dump(mode="json")
    r = await api.client.post(TELEMETRY, json={"events": [good, forged]}, headers=appliance.headers)
    assert r.status_code == 403
    assert forged["event_id"] in r.json()["detail"]
    assert await _count(api.pool, "incidents") == 0


@pytest.mark.parametrize("site_value", ["not-a-uuid", "", None])
async def test_event_with_unusable_site_refused(api, site_value):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = {"event_id": str(uuid.uuid4()), "kind": "evidence_bundle", "payload": {"bundle": {"site_id": site_value}}}
    r = await api.client.post(TELEMETRY, json={"events": [ev]}, headers=appliance.headers)
    assert r.status_code in (400, 403)
    assert await _count(api.pool, "evidence_bundles") == 0


async def test_order_result_for_another_appliances_order_404(api):
    sid = await factories.site(api.client, api.admin)
    mine = await factories.appliance(api.client, api.admin, sid, name="mine")
    other = await factories.appliance(api.client, api.admin, sid, name="other")
    order_id = await _order_for(api, other)
    ev = {"event_id": str(uuid.uuid4()), "kind": "order_result",
          "payload": {"site_id": sid, "order_id": order_id, "status": "failed"}}
    r = await api.client.post(TELEMETRY, json={"events": [ev]}, headers=mine.headers)
    assert r.status_code == 404
    assert order_id in r.json()["detail"]
    order = await api.client.get(f"/api/orders/{order_id}", headers=bearer(api.admin))
    assert order.json()["status"] == "pending"


@pytest.mark.parametrize("events", [
    [{"event_id": "e1", "kind": "telepathy", "payload": {}}],
    [{"event_id": "e1", "kind": "incident", "payload": {"host": "x"}}],
    [{"event_id": "", "kind": "incident", "payload": {}}],
    [{"event_id": "e1", "kind": "order_result", "payload": {"site_id": "x", "order_id": "o", "status": "done"}}],
    "not a list",
])
async def test_malformed_events_400(api, events):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    assert r.status_code == 400


async def test_order_result_with_malformed_order_id_400(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = {"event_id": "e1", "kind": "order_result", "payload": {"site_id": sid, "order_id": "o-1", "status": "failed"}}
    r = await api.client.post(TELEMETRY, json={"events": [ev]}, headers=appliance.headers)
    assert r.status_code == 400


async def test_insert_mode_stores_the_same_rows(db_url, tmp_path):
    from tests.serving.conftest import make_settings, start_api

    async for api in start_api(make_settings(db_url, tmp_path, telemetry_ingest="insert")):
        sid = await factories.site(api.client, api.admin)
        appliance = await factories.appliance(api.client, api.admin, sid)
        order_id = await _order_for(api, appliance)
        events = factories.one_of_each(sid, order_id, appliance=appliance)
        r = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
        assert r.json() == {"accepted": len(events), "duplicates": 0}
        r = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
        assert r.json() == {"accepted": 0, "duplicates": len(events)}
        for table in TABLES.values():
            assert await _count(api.pool, table) == 1, table


async def test_telemetry_counts_exported_as_metrics(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    events = factories.one_of_each(sid, appliance=appliance)
    await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    await api.client.post(TELEMETRY, json={"events": events[:3]}, headers=appliance.headers)
    text = (await api.client.get("/metrics")).text
    assert f'osiris_telemetry_events_total{{result="accepted"}} {float(len(events))}' in text
    assert 'osiris_telemetry_events_total{result="duplicate"} 3.0' in text
    assert 'route="/api/agent/telemetry",status="200"' in text


async def test_hooks_learn_new_events_only_and_cannot_break_ingest(api):
    from serving.services import telemetry as service

    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    seen = []

    async def record(pool, ingested):
        seen.append(ingested)

    async def broken(pool, ingested):
        raise RuntimeError("follower down")

    service.add_hook(broken)
    service.add_hook(record)
    try:
        events = factories.one_of_each(sid, appliance=appliance)
        first = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
        again = await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)
    finally:
        service.remove_hook(broken)
        service.remove_hook(record)
    assert (first.status_code, again.json()["accepted"]) == (200, 0)
    (ingested,) = seen  # the replay added nothing, so nobody was told
    assert str(ingested.appliance.id) == appliance.appliance_id
    assert ingested.new_event_ids[EventKind.ESCALATION] == [e["event_id"] for e in events if e["kind"] == "escalation"]
    assert sum(len(v) for v in ingested.new_event_ids.values()) == len(events)
