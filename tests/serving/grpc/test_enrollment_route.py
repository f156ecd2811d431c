"""`/api/sites/{site_id}/enrollment-tokens`: admins only; then the token enrolls over gRPC, once."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest
from cryptography import x509

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.pki.ca import fingerprint
from tests.serving import factories
from tests.serving.conftest import make_settings, start_api
from tests.serving.factories import bearer
from tests.serving.grpc import helpers


@pytest.fixture
async def api_grpc(db_url: str, tmp_path: Path):
    """The app with gRPC started by its own lifespan (ephemeral ports)."""
    async for handle in start_api(make_settings(db_url, tmp_path, grpc_port=0)):
        yield handle


async def test_enrollment_token_http_then_register_grpc_end_to_end(api_grpc):
    api = api_grpc
    servers = api.app.state.grpc
    site = await factories.site(api.client, api.admin)
    r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={"name": "front-desk", "ttl_seconds": 600},
                              headers=bearer(api.admin))
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["token"].startswith("ose_") and issued["used_at"] is None
    assert (issued["grpc_port"], issued["grpc_enroll_port"]) == (servers.port, servers.enroll_port)
    assert issued["ca_fingerprint_sha256"] == fingerprint(servers.ca.cert)
    ca_pem = issued["ca_certificate_pem"].encode()
    assert ca_pem == servers.ca.pem

    # The appliance pins the CA from the answer and enrolls with its own key.
    key = helpers.new_key()
    creds = grpc.ssl_channel_credentials(ca_pem)
    async with grpc.aio.secure_channel(f"127.0.0.1:{issued['grpc_enroll_port']}", creds) as channel:
        reg = await pb_grpc.ComplianceAgentStub(channel).Register(
            pb.RegisterRequest(enrollment_token=issued["token"], csr_pem=helpers.csr_for(key), hostname="fd-1"),
            timeout=10)
    mtls = grpc.ssl_channel_credentials(ca_pem, helpers.pem_key(key), reg.certificate_pem)
    async with grpc.aio.secure_channel(f"127.0.0.1:{issued['grpc_port']}", mtls) as channel:
        beat = await pb_grpc.ComplianceAgentStub(channel).Heartbeat(
            pb.HeartbeatRequest(hostname="fd-1", agent_version="1.0"), timeout=10)
    assert beat.appliance_id == reg.appliance_id and beat.site_id == site

    # The appliance also got an HTTP API key, and the admin sees the token as used by it.
    r = await api.client.post("/api/appliances/checkin", json={"hostname": "fd-1", "agent_version": "1.0"},
                              headers=bearer(reg.api_key))
    assert r.status_code == 200 and r.json()["appliance_id"] == reg.appliance_id
    listed = (await api.client.get(f"/api/sites/{site}/enrollment-tokens", headers=bearer(api.admin))).json()
    assert [(t["id"], t["used_by_appliance_id"]) for t in listed] == [(issued["id"], reg.appliance_id)]
    assert "token" not in listed[0]
    appliances = (await api.client.get(f"/api/sites/{site}/appliances", headers=bearer(api.admin))).json()
    assert [(a["name"], a["cert_fingerprint"]) for a in appliances] == [
        ("front-desk", fingerprint(x509.load_pem_x509_certificate(reg.certificate_pem)))]


async def test_enrollment_token_without_grpc_still_carries_ca(api):
    site = await factories.site(api.client, api.admin)
    r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={}, headers=bearer(api.admin))
    assert r.status_code == 201
    assert r.json()["grpc_port"] is None
    assert r.json()["ca_certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("role", ["partner", "auditor"])
async def test_enrollment_token_non_admin_forbidden(api, role):
    site = await factories.site(api.client, api.admin)
    secret = await factories.token(api.pool, role, [site])
    r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={}, headers=bearer(secret))
    assert r.status_code == 403


async def test_enrollment_token_appliance_key_forbidden(api):
    site = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, site)
    r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={}, headers=appliance.headers)
    assert r.status_code == 403


@pytest.mark.parametrize(("body", "status"), [
    ({"ttl_seconds": 10}, 400),
    ({"ttl_seconds": 31 * 86400}, 400),
    ({"appliance_id": "not-a-uuid"}, 400),
    ({"surprise": 1}, 400),
])
async def test_enrollment_token_bad_body_bad_request(api, body, status):
    site = await factories.site(api.client, api.admin)
    r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json=body, headers=bearer(api.admin))
    assert r.status_code == status, r.text


async def test_enrollment_token_unknown_site_or_foreign_appliance_not_found(api):
    r = await api.client.post(f"/api/sites/{uuid.uuid4()}/enrollment-tokens", json={}, headers=bearer(api.admin))
    assert r.status_code == 404 and "site" in r.json()["detail"]
    site_a = await factories.site(api.client, api.admin, "A")
    site_b = await factories.site(api.client, api.admin, "B")
    other = await factories.appliance(api.client, api.admin, site_b)
    r = await api.client.post(f"/api/sites/{site_a}/enrollment-tokens", json={"appliance_id": other.appliance_id},
                              headers=bearer(api.admin))
    assert r.status_code == 404 and other.appliance_id in r.json()["detail"]


async def test_enrollment_token_revoked_cannot_enroll(api_grpc):
    api = api_grpc
    site = await factories.site(api.client, api.admin)
    issued = (await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={},
                                    headers=bearer(api.admin))).json()
    r = await api.client.delete(f"/api/sites/{site}/enrollment-tokens/{issued['id']}", headers=bearer(api.admin))
    assert r.status_code == 200
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await helpers.register(api.app.state.grpc, issued["token"], helpers.csr_for(helpers.new_key()))
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
    r = await api.client.delete(f"/api/sites/{site}/enrollment-tokens/{uuid.uuid4()}", headers=bearer(api.admin))
    assert r.status_code == 404


async def test_enrollment_token_hostile_bodies_never_5xx(api):
    import random

    from tests.serving.test_fuzz import _mutations, _post_json

    site = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, site)
    seed = {"appliance_id": appliance.appliance_id, "name": "front-desk", "ttl_seconds": 600}
    failures = []
    for where, body in _mutations(seed, random.Random(11), per_field=20):
        r = await _post_json(api.client, "POST", f"/api/sites/{site}/enrollment-tokens", body, bearer(api.admin))
        if r.status_code >= 500:
            failures.append(f"{where}: {r.status_code} {r.text[:150]}")
    assert not failures, "\n".join(failures[:10])
