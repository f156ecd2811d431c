"""The flywheel API: candidates and promoted rules for readers, pin and veto for admins, veto live at once."""

from __future__ import annotations

import uuid

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring
from tests.serving import factories
from tests.serving.factories import bearer
from warehouse import flywheel as state

SIG, RB = "a1c86925e5be7edf", "RB-WIN-BITLOCKER-001"
RULE = {"id": "L1-AUTO-0123456789", "priority": 50, "enabled": True, "source": "promoted", "action": "execute_runbook",
        "runbook_id": RB, "params": {}, "status": "active", "sites": None,
        "conditions": [{"field": "check_type", "operator": "eq", "value": "disk_encryption"}],
        "provenance": {"signature": SIG, "signatures": [SIG], "n": 40}}
CANDIDATE = {"pattern_signature": SIG, "runbook_id": RB, "check_type": "disk_encryption", "platform": "windows",
             "n": 40, "successes": 39, "wilson_lower": 0.8712, "wilson_upper": 0.9956, "sites": 3,
             "human_review_share": 0.0, "monthly_decisions": 40.0, "monthly_cost_usd": 0.044, "monthly_latency_s": 96.0,
             "first_seen": "2026-10-01T08:00:00+00:00", "last_seen": "2026-10-31T08:00:00+00:00",
             "rule_id": RULE["id"], "conditions": RULE["conditions"], "backtest": {"precision": 0.975},
             "verdict": "live", "reasons": [f"already live as {RULE['id']}"]}
BASE = f"/api/flywheel/candidates/{SIG}/{RB}"


async def seed(api, status: str = "shadow", sites: list[str] | None = None) -> None:
    async with api.pool.acquire() as conn:
        await state.save_candidates(conn, [CANDIDATE])
        await state.apply_transitions(conn, [state.Transition(RULE["id"], status, None, "passed the gate", SIG, RB,
                                                              rule=RULE, provenance=RULE["provenance"], sites=sites)])


async def test_read_candidates_and_one_candidate(api):
    await seed(api)
    auditor = bearer(await factories.token(api.pool, "auditor"))
    r = await api.client.get("/api/flywheel/candidates", headers=auditor)
    assert r.status_code == 200
    [c] = r.json()
    assert (c["runbook_id"], c["n"], c["verdict"], c["rule"]["id"]) == (RB, 40, "live", RULE["id"])
    assert (await api.client.get("/api/flywheel/candidates?verdict=reject", headers=auditor)).json() == []
    assert (await api.client.get(BASE, headers=auditor)).json()["backtest"] == {"precision": 0.975}


async def test_read_candidate_not_found_and_bad_signature(api):
    r = await api.client.get(f"/api/flywheel/candidates/{'0' * 16}/{RB}", headers=bearer(api.admin))
    assert r.status_code == 404 and "candidate" in r.json()["detail"]
    r = await api.client.get(f"/api/flywheel/candidates/not-a-signature/{RB}", headers=bearer(api.admin))
    assert r.status_code == 400


async def test_veto_stops_live_rule_and_signs_a_bundle_at_once(api):
    await seed(api, "active")
    site = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, site)
    r = await api.client.post(f"{BASE}/veto", json={"reason": "change freeze"}, headers=bearer(api.admin))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["action"], body["vetoed_rules"], body["bundle_version"]) == ("veto", [RULE["id"]], 1)
    synced = await api.client.get("/api/agent/sync", headers=appliance.headers)
    assert synced.status_code == 200 and synced.headers["X-Bundle-Version"] == "1"
    bundle = verify_bundle(synced.content, Keyring.of(api.app.state.signing_key.verify_key))
    assert RULE["id"] not in {rule["id"] for rule in bundle.rules} and bundle.rules == state.builtin_rules()
    audit = (await api.client.get(f"/api/flywheel/rules/{RULE['id']}/audit", headers=bearer(api.admin))).json()
    assert [(a["action"], a["from_status"], a["to_status"]) for a in audit] == [
        ("vetoed", "active", "vetoed"), ("active", None, "active")]
    assert audit[0]["reason"].endswith(": change freeze") and audit[0]["bundle_version"] == 1
    rules = (await api.client.get("/api/flywheel/rules?status=vetoed", headers=bearer(api.admin))).json()
    assert [r["rule_id"] for r in rules] == [RULE["id"]]


async def test_pin_then_withdraw_it(api):
    await seed(api)
    r = await api.client.post(f"{BASE}/pin", json={"reason": "vendor confirmed"}, headers=bearer(api.admin))
    assert r.status_code == 200
    assert (r.json()["action"], r.json()["vetoed_rules"], r.json()["bundle_version"]) == ("pin", [], None)
    got = (await api.client.get(BASE, headers=bearer(api.admin))).json()
    assert (got["override"], got["override_reason"]) == ("pin", "vendor confirmed")
    assert (await api.client.delete(f"{BASE}/override", headers=bearer(api.admin))).status_code == 204
    assert (await api.client.delete(f"{BASE}/override", headers=bearer(api.admin))).status_code == 404
    actions = [a["action"] for a in (await api.client.get("/api/flywheel/audit", headers=bearer(api.admin))).json()]
    assert actions == ["clear_pin", "pin", "shadow"]


async def test_pin_unknown_candidate_or_unknown_field_is_refused(api):
    r = await api.client.post(f"/api/flywheel/candidates/{'f' * 16}/{RB}/pin", json={}, headers=bearer(api.admin))
    assert r.status_code == 404
    await seed(api)
    r = await api.client.post(f"{BASE}/veto", json={"reason": "x", "force": True}, headers=bearer(api.admin))
    assert r.status_code == 400


async def test_partner_sees_only_its_own_canary_sites(api):
    own, other = str(uuid.uuid4()), str(uuid.uuid4())
    await seed(api, "canary", [own, other])
    site = await factories.site(api.client, api.admin)
    partner = bearer(await factories.token(api.pool, "partner", [site]))
    [rule] = (await api.client.get("/api/flywheel/rules", headers=partner)).json()
    assert rule["sites"] == [] and rule["provenance"] == RULE["provenance"]
    [rule] = (await api.client.get("/api/flywheel/rules", headers=bearer(api.admin))).json()
    assert rule["sites"] == [own, other] and rule["status"] == "canary"
    assert (await api.client.get(f"/api/flywheel/rules/{RULE['id']}", headers=partner)).json()["rule_id"] == RULE["id"]
    assert (await api.client.get("/api/flywheel/rules/L1-NOPE", headers=partner)).status_code == 404
