"""Sites and manual devices over HTTP: CRUD, partner scoping, retirement, and 400/404/409 answers."""

from __future__ import annotations

import uuid

import pytest

from tests.serving import factories
from tests.serving.factories import bearer


async def test_create_site_returns_201_with_id(api):
    r = await api.client.post("/api/sites", json={"name": "Oak Dental", "timezone": "America/Chicago"},
                              headers=bearer(api.admin))
    assert r.status_code == 201
    body = r.json()
    assert uuid.UUID(body["id"])
    assert (body["name"], body["timezone"]) == ("Oak Dental", "America/Chicago")


async def test_read_site_not_found_names_id(api):
    missing = str(uuid.uuid4())
    r = await api.client.get(f"/api/sites/{missing}", headers=bearer(api.admin))
    assert r.status_code == 404
    assert missing in r.json()["detail"]


@pytest.mark.parametrize("garbage", ["nope", "1234", "' OR 1=1 --", "0" * 40])
async def test_read_site_malformed_id_400(api, garbage):
    r = await api.client.get(f"/api/sites/{garbage}", headers=bearer(api.admin))
    assert r.status_code == 400
    assert "site_id" in r.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 201}, {"name": "a", "timezone": "Mars/Base"},
                                  {"name": "a", "colour": "blue"}, [], "text", {"name": 5}])
async def test_create_site_bad_body_400(api, body):
    r = await api.client.post("/api/sites", json=body, headers=bearer(api.admin))
    assert r.status_code == 400, r.text


async def test_create_site_nul_byte_400_not_500(api):
    r = await api.client.post("/api/sites", json={"name": "a\u0000b"}, headers=bearer(api.admin))
    assert r.status_code == 400


async def test_update_site_changes_only_given_fields(api):
    sid = await factories.site(api.client, api.admin, "Before")
    r = await api.client.patch(f"/api/sites/{sid}", json={"notes": "two floors"}, headers=bearer(api.admin))
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["notes"]) == ("Before", "two floors")


async def test_list_sites_partner_sees_only_its_own(api):
    mine = await factories.site(api.client, api.admin, "Mine")
    await factories.site(api.client, api.admin, "Theirs")
    partner = await factories.token(api.pool, "partner", [mine])
    r = await api.client.get("/api/sites", headers=bearer(partner))
    assert [s["id"] for s in r.json()] == [mine]
    r = await api.client.get("/api/sites", headers=bearer(api.admin))
    assert len(r.json()) == 2


async def test_partner_other_sites_site_forbidden(api):
    mine = await factories.site(api.client, api.admin, "Mine")
    theirs = await factories.site(api.client, api.admin, "Theirs")
    partner = await factories.token(api.pool, "partner", [mine])
    assert (await api.client.get(f"/api/sites/{theirs}", headers=bearer(partner))).status_code == 403
    r = await api.client.patch(f"/api/sites/{theirs}", json={"name": "mine now"}, headers=bearer(partner))
    assert r.status_code == 403
    assert (await api.client.get(f"/api/sites/{theirs}", headers=bearer(api.admin))).json()["name"] == "Theirs"


async def test_auditor_cannot_change_site(api):
    sid = await factories.site(api.client, api.admin)
    auditor = await factories.token(api.pool, "auditor")
    assert (await api.client.get(f"/api/sites/{sid}", headers=bearer(auditor))).status_code == 200
    r = await api.client.patch(f"/api/sites/{sid}", json={"name": "x"}, headers=bearer(auditor))
    assert r.status_code == 403


async def test_delete_site_retires_it_and_revokes_its_appliances(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.delete(f"/api/sites/{sid}", headers=bearer(api.admin))
    assert r.status_code == 204
    assert (await api.client.get(f"/api/sites/{sid}", headers=bearer(api.admin))).status_code == 404
    assert (await api.client.delete(f"/api/sites/{sid}", headers=bearer(api.admin))).status_code == 404
    r = await api.client.post("/api/appliances/checkin", json={"hostname": "a", "agent_version": "1"},
                              headers=appliance.headers)
    assert r.status_code == 403
    # The history stays for auditors: the row is retired, not erased.
    assert await api.pool.fetchval("SELECT deleted_at IS NOT NULL FROM sites WHERE id = $1", uuid.UUID(sid))


async def test_manual_device_created_then_duplicate_409(api):
    sid = await factories.site(api.client, api.admin)
    body = {"hostname": "front-desk-printer", "ip": "10.0.0.9", "device_type": "printer"}
    r = await api.client.post(f"/api/sites/{sid}/devices/manual", json=body, headers=bearer(api.admin))
    assert r.status_code == 201
    assert (r.json()["source"], r.json()["ip"]) == ("manual", "10.0.0.9")
    r = await api.client.post(f"/api/sites/{sid}/devices/manual", json=body, headers=bearer(api.admin))
    assert r.status_code == 409
    listed = (await api.client.get(f"/api/sites/{sid}/devices", headers=bearer(api.admin))).json()
    assert [d["hostname"] for d in listed] == ["front-desk-printer"]


@pytest.mark.parametrize("body", [{"hostname": "ok", "ip": "999.1.1.1"}, {"hostname": "bad host"},
                                  {"hostname": "ok", "mac": "zz:zz"}])
async def test_manual_device_bad_body_400(api, body):
    sid = await factories.site(api.client, api.admin)
    r = await api.client.post(f"/api/sites/{sid}/devices/manual", json=body, headers=bearer(api.admin))
    assert r.status_code == 400


async def test_manual_device_on_missing_site_404(api):
    missing = str(uuid.uuid4())
    r = await api.client.post(f"/api/sites/{missing}/devices/manual", json={"hostname": "pc"},
                              headers=bearer(api.admin))
    assert r.status_code == 404
    assert missing in r.json()["detail"]
