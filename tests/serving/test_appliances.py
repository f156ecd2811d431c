"""Appliances: the key is shown once and stored hashed, revocation is immediate, keys register."""

from __future__ import annotations

import base64
import hashlib
import uuid

import nacl.public
import nacl.signing
import pytest

from contracts.envelope import load_verify_key
from tests.serving import factories
from tests.serving.factories import bearer

CHECKIN = {"hostname": "nuc-1", "agent_version": "0.1.0"}


async def test_provision_returns_key_once_and_stores_only_its_hash(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    assert appliance.api_key.startswith("osa_")
    stored = await api.pool.fetchval("SELECT api_key_hash FROM appliances WHERE id = $1",
                                     uuid.UUID(appliance.appliance_id))
    assert stored == hashlib.sha256(appliance.api_key.encode()).hexdigest()
    listing = await api.client.get(f"/api/sites/{sid}/appliances", headers=bearer(api.admin))
    assert appliance.api_key not in listing.text
    assert [a["id"] for a in listing.json()] == [appliance.appliance_id]


async def test_provision_answer_carries_server_public_key(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    key = load_verify_key(appliance.provisioned["signing_public_key"])
    assert bytes(key) == bytes(api.app.state.signing_key.verify_key)
    r = await api.client.get("/api/keys/orders-public", headers=appliance.headers)
    assert r.json()["key_id"] == appliance.provisioned["signing_key_id"]


async def test_provision_on_missing_site_404(api):
    missing = str(uuid.uuid4())
    r = await api.client.post(f"/api/sites/{missing}/appliances", json={}, headers=bearer(api.admin))
    assert r.status_code == 404
    assert missing in r.json()["detail"]


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode(), "A" * 64])
async def test_provision_bad_public_key_400(api, value):
    sid = await factories.site(api.client, api.admin)
    r = await api.client.post(f"/api/sites/{sid}/appliances", json={"box_public_key": value},
                              headers=bearer(api.admin))
    assert r.status_code == 400
    assert "box_public_key" in r.text


async def test_revoked_appliance_refused(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    assert (await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)).status_code == 200
    r = await api.client.post(f"/api/sites/{sid}/appliances/{appliance.appliance_id}/revoke", headers=bearer(api.admin))
    assert r.status_code == 200
    assert r.json()["revoked"] is True
    for method, path, body in [("POST", "/api/appliances/checkin", CHECKIN), ("GET", "/api/agent/sync", None),
                               ("POST", "/api/agent/telemetry", {"events": []})]:
        r = await api.client.request(method, path, json=body, headers=appliance.headers)
        assert r.status_code == 403, (path, r.text)
        assert "revoked" in r.json()["detail"]


async def test_revoke_other_sites_appliance_404(api):
    site_a = await factories.site(api.client, api.admin, "A")
    site_b = await factories.site(api.client, api.admin, "B")
    appliance = await factories.appliance(api.client, api.admin, site_a)
    r = await api.client.post(f"/api/sites/{site_b}/appliances/{appliance.appliance_id}/revoke",
                              headers=bearer(api.admin))
    assert r.status_code == 404
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    assert r.status_code == 200


async def test_appliance_sets_own_keys(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid, box=False)
    box = nacl.public.PrivateKey.generate()
    signer = nacl.signing.SigningKey.generate()
    body = {"box_public_key": base64.b64encode(bytes(box.public_key)).decode(),
            "signing_public_key": base64.b64encode(bytes(signer.verify_key)).decode()}
    r = await api.client.put("/api/appliances/me/keys", json=body, headers=appliance.headers)
    assert r.status_code == 200
    assert (r.json()["box_public_key"], r.json()["signing_public_key"]) == (body["box_public_key"],
                                                                          body["signing_public_key"])


async def test_appliance_sets_no_keys_409(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.put("/api/appliances/me/keys", json={}, headers=appliance.headers)
    assert r.status_code == 409


@pytest.mark.parametrize("field", ["box_public_key", "signing_public_key"])
async def test_unusable_public_key_400(api, field):
    # All zeros is 32 bytes of valid base64 but neither a sealable X25519 key nor an Ed25519 point:
    # accepted, it would turn every later credential seal into a crash.
    sid = await factories.site(api.client, api.admin)
    zeros = base64.b64encode(bytes(32)).decode()
    r = await api.client.post(f"/api/sites/{sid}/appliances", json={field: zeros}, headers=bearer(api.admin))
    assert r.status_code == 400
    assert field in r.json()["detail"]
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.put("/api/appliances/me/keys", json={field: zeros}, headers=appliance.headers)
    assert r.status_code == 400
