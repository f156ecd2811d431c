"""Sealed target credentials: never stored or listed in clear, opened only by the right appliance key."""

from __future__ import annotations

import base64
import json
import uuid

import nacl.exceptions
import nacl.public
import pytest

from tests.serving import factories
from tests.serving.factories import bearer

SECRET = "correct horse battery staple"
CHECKIN = {"hostname": "nuc-1", "agent_version": "0.1.0"}


def _open(key: nacl.public.PrivateKey, sealed_b64: str) -> dict:
    return json.loads(nacl.public.SealedBox(key).decrypt(base64.b64decode(sealed_b64)))


async def _credential(api, sid: str, **extra) -> dict:
    body = {"host": "db-1.clinic.local", "port": 22, "username": "svc-osiris", "password": SECRET,
            "distro": "ubuntu", "sudo_password": "sudo-" + SECRET, **extra}
    r = await api.client.post(f"/api/sites/{sid}/credentials", json=body, headers=bearer(api.admin))
    assert r.status_code == 201, r.text
    return r.json()


async def test_sealed_credential_opens_only_with_right_appliance_key(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    created = await _credential(api, sid)
    assert SECRET not in json.dumps(created)
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    (target,) = r.json()["targets"]
    assert (target["credential_id"], target["host"], target["port"]) == (created["id"], "db-1.clinic.local", 22)
    assert _open(appliance.box, target["sealed"]) == {
        "username": "svc-osiris", "password": SECRET, "sudo_password": "sudo-" + SECRET}
    with pytest.raises(nacl.exceptions.CryptoError):
        _open(nacl.public.PrivateKey.generate(), target["sealed"])


async def test_sealed_credential_plaintext_never_stored(api):
    sid = await factories.site(api.client, api.admin)
    await factories.appliance(api.client, api.admin, sid)
    await _credential(api, sid)
    dump = await api.pool.fetchval(
        "SELECT string_agg(t::text, '|') FROM (SELECT * FROM target_credentials) t")
    sealed = await api.pool.fetch("SELECT sealed FROM sealed_credentials")
    assert SECRET not in dump
    assert all(SECRET.encode() not in bytes(r["sealed"]) for r in sealed)


async def test_credential_sealed_to_each_appliance_of_the_site_only(api):
    sid = await factories.site(api.client, api.admin, "A")
    other = await factories.site(api.client, api.admin, "B")
    first = await factories.appliance(api.client, api.admin, sid, name="one")
    second = await factories.appliance(api.client, api.admin, sid, name="two")
    stranger = await factories.appliance(api.client, api.admin, other)
    created = await _credential(api, sid)
    assert sorted(created["sealed_for"]) == sorted([first.appliance_id, second.appliance_id])
    for appliance in (first, second):
        (target,) = (await api.client.post("/api/appliances/checkin", json=CHECKIN,
                                           headers=appliance.headers)).json()["targets"]
        assert _open(appliance.box, target["sealed"])["password"] == SECRET
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=stranger.headers)
    assert r.json()["targets"] == []


async def test_credential_without_box_key_409(api):
    sid = await factories.site(api.client, api.admin)
    await factories.appliance(api.client, api.admin, sid, box=False)
    r = await api.client.post(f"/api/sites/{sid}/credentials",
                              json={"host": "pc", "username": "u", "password": "p"}, headers=bearer(api.admin))
    assert r.status_code == 409
    assert await api.pool.fetchval("SELECT count(*) FROM target_credentials") == 0


@pytest.mark.parametrize("body", [
    {"host": "pc", "username": "u"},  # no secret
    {"host": "pc", "username": "u", "password": SECRET, "private_key": SECRET},  # both
    {"host": "pc", "username": "u", "password": SECRET, "port": 70000},
    {"host": "pc; rm -rf /", "username": "u", "password": SECRET},
    {"host": "pc", "username": "u", "password": 12345},
])
async def test_credential_bad_body_400_without_echoing_secrets(api, body):
    sid = await factories.site(api.client, api.admin)
    await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post(f"/api/sites/{sid}/credentials", json=body, headers=bearer(api.admin))
    assert r.status_code == 400
    assert SECRET not in r.text and "12345" not in r.text


async def test_credential_list_has_no_secrets_and_delete_removes_sealed_copies(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    created = await _credential(api, sid, password=None, private_key="-----BEGIN KEY-----" + SECRET)
    r = await api.client.get(f"/api/sites/{sid}/credentials", headers=bearer(api.admin))
    assert SECRET not in r.text
    assert r.json()[0]["auth_kind"] == "private_key"
    r = await api.client.delete(f"/api/sites/{sid}/credentials/{created['id']}", headers=bearer(api.admin))
    assert r.status_code == 204
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    assert r.json()["targets"] == []
    r = await api.client.delete(f"/api/sites/{sid}/credentials/{created['id']}", headers=bearer(api.admin))
    assert r.status_code == 404
    assert created["id"] in r.json()["detail"]


async def test_new_box_key_drops_credentials_sealed_to_the_old_one(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    await _credential(api, sid)
    fresh = nacl.public.PrivateKey.generate()
    r = await api.client.put("/api/appliances/me/keys", headers=appliance.headers,
                             json={"box_public_key": base64.b64encode(bytes(fresh.public_key)).decode()})
    assert r.status_code == 200
    r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
    assert r.json()["targets"] == []


async def test_delete_other_sites_credential_404(api):
    sid = await factories.site(api.client, api.admin, "A")
    other = await factories.site(api.client, api.admin, "B")
    await factories.appliance(api.client, api.admin, sid)
    created = await _credential(api, sid)
    r = await api.client.delete(f"/api/sites/{other}/credentials/{created['id']}", headers=bearer(api.admin))
    assert r.status_code == 404
    assert await api.pool.fetchval("SELECT count(*) FROM target_credentials WHERE id = $1",
                                   uuid.UUID(created["id"])) == 1
