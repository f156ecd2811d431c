"""The listeners over real TLS sockets on 127.0.0.1: enrollment, mutual TLS, and who is refused."""

from __future__ import annotations

import uuid

import grpc
import pytest
from cryptography import x509

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.pki.ca import APPLIANCE_URI_PREFIX, fingerprint
from serving.services import appliances, enrollment
from tests.serving.grpc import helpers


def _heartbeat() -> pb.HeartbeatRequest:
    return pb.HeartbeatRequest(hostname="appliance-1", agent_version="1.0.0", platform="linux")


async def test_register_end_to_end_certificate_works_on_mtls_port(pool, servers, site_id):
    enrolled = await helpers.enroll(pool, servers, site_id)
    cert = x509.load_pem_x509_certificate(enrolled.cert_pem)
    assert enrolled.response.ca_certificate_pem == servers.ca.pem
    assert cert.issuer == servers.ca.cert.subject
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [f"{APPLIANCE_URI_PREFIX}{enrolled.appliance_id}"]
    assert enrolled.site_id == site_id and enrolled.api_key.startswith("osa_")
    row = await pool.fetchrow("SELECT cert_fingerprint, site_id FROM appliances WHERE id = $1", enrolled.appliance_id)
    assert row["cert_fingerprint"] == fingerprint(cert) and row["site_id"] == site_id

    async with enrolled.channel(servers) as channel:
        answer = await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)
    assert answer.appliance_id == str(enrolled.appliance_id)
    assert answer.certificate_not_after.ToDatetime().date() == cert.not_valid_after_utc.date()
    seen = await pool.fetchrow("SELECT hostname, last_checkin_at FROM appliances WHERE id = $1", enrolled.appliance_id)
    assert seen["hostname"] == "appliance-1" and seen["last_checkin_at"] is not None


async def test_register_reused_token_unauthenticated(pool, servers, site_id):
    _, token = await enrollment.create_token(pool, site_id)
    await helpers.register(servers, token, helpers.csr_for(helpers.new_key()))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await helpers.register(servers, token, helpers.csr_for(helpers.new_key()))
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "already used" in err.value.details()
    assert await pool.fetchval("SELECT count(*) FROM appliances") == 1


async def test_register_expired_token_unauthenticated(pool, servers, site_id):
    record, token = await enrollment.create_token(pool, site_id)
    await pool.execute(
        "UPDATE enrollment_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 s'"
        " WHERE id = $1", uuid.UUID(record["id"]),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await helpers.register(servers, token, helpers.csr_for(helpers.new_key()))
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in err.value.details()
    assert await pool.fetchval("SELECT count(*) FROM appliances") == 0
