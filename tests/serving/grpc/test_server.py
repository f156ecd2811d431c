"""The listeners over real TLS sockets on 127.0.0.1: enrollment, mutual TLS, and who is refused."""

from __future__ import annotations

import uuid

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.pki.ca import APPLIANCE_URI_PREFIX, CertificateAuthority, fingerprint
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


# Every method but Register, with a request that would be valid from an enrolled appliance.
def _calls(stub: pb_grpc.ComplianceAgentStub):
    async def drift():
        return [a async for a in stub.ReportDrift(iter([pb.DriftEvent(event_id="e1")]), timeout=10)]

    return {
        "RenewCertificate": lambda: stub.RenewCertificate(
            pb.RenewCertificateRequest(csr_pem=helpers.csr_for(helpers.new_key())), timeout=10),
        "ReportDrift": drift,
        "ReportHealing": lambda: stub.ReportHealing(pb.HealingReport(), timeout=10),
        "Heartbeat": lambda: stub.Heartbeat(_heartbeat(), timeout=10),
        "ReportRMMStatus": lambda: stub.ReportRMMStatus(pb.RMMStatusReport(), timeout=10),
    }


def test_calls_cover_every_method_but_register():
    service = pb.DESCRIPTOR.services_by_name["ComplianceAgent"]
    assert set(_calls(None)) == {m.name for m in service.methods} - {"Register"}


async def test_enroll_port_every_other_method_unauthenticated(servers):
    async with helpers.enroll_channel(servers) as channel:
        for name, call in _calls(pb_grpc.ComplianceAgentStub(channel)).items():
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call()
            assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED, name
            assert "only enrolls" in err.value.details(), name


def _client_certs(servers):
    intruder = helpers.new_key()
    other_ca_key = helpers.new_key()
    # A certificate that names a real-looking appliance but is signed by another CA.
    other_ca = CertificateAuthority.create()
    forged = other_ca.issue_agent(
        x509.load_pem_x509_csr(helpers.csr_for(other_ca_key)), uuid.uuid4()
    ).public_bytes(serialization.Encoding.PEM)
    return {
        "no certificate": (None, None),
        "self-signed": (helpers.pem_key(intruder), helpers.self_signed(intruder, f"{APPLIANCE_URI_PREFIX}{uuid.uuid4()}")),
        "another CA": (helpers.pem_key(other_ca_key), forged),
    }


async def test_mtls_port_untrusted_clients_refused_on_every_method(servers):
    for label, (key_pem, cert_pem) in _client_certs(servers).items():
        async with helpers.mtls_channel(servers, key_pem, cert_pem) as channel:
            for name, call in _calls(pb_grpc.ComplianceAgentStub(channel)).items():
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call()
                # The TLS handshake itself fails: no handler ever runs for these clients.
                assert err.value.code() is grpc.StatusCode.UNAVAILABLE, (label, name)


async def test_mtls_port_ca_signed_certificate_never_recorded_unauthenticated(pool, servers, site_id):
    # Signed by our CA but never issued through enrollment (say, a copy of the CA key was misused).
    appliance_id, _ = await appliances.provision_appliance(pool, site_id)
    key = helpers.new_key()
    cert = servers.ca.issue_agent(x509.load_pem_x509_csr(helpers.csr_for(key)), appliance_id)
    async with helpers.mtls_channel(servers, helpers.pem_key(key), cert.public_bytes(serialization.Encoding.PEM)) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await pb_grpc.ComplianceAgentStub(ch).Heartbeat(_heartbeat(), timeout=10)
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_revoked_appliance_refused_at_next_call(pool, servers, site_id):
    enrolled = await helpers.enroll(pool, servers, site_id)
    async with enrolled.channel(servers) as channel:
        stub = pb_grpc.ComplianceAgentStub(channel)
        await stub.Heartbeat(_heartbeat(), timeout=10)
        await appliances.revoke_appliance(pool, site_id, enrolled.appliance_id)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Heartbeat(_heartbeat(), timeout=10)  # same connection, very next call
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "revoked" in err.value.details()


async def test_reenroll_old_certificate_permission_denied(pool, servers, site_id):
    first = await helpers.enroll(pool, servers, site_id)
    second = await helpers.enroll(pool, servers, site_id, appliance_id=first.appliance_id)
    assert second.appliance_id == first.appliance_id and second.api_key == ""
    async with first.channel(servers) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    async with second.channel(servers) as channel:
        await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)


async def test_renew_certificate_new_works_old_kept_for_grace(pool, servers, site_id, grpc_settings):
    enrolled = await helpers.enroll(pool, servers, site_id)
    key = helpers.new_key()
    async with enrolled.channel(servers) as channel:
        renewed = await pb_grpc.ComplianceAgentStub(channel).RenewCertificate(
            pb.RenewCertificateRequest(csr_pem=helpers.csr_for(key)), timeout=10)
    new_cert = x509.load_pem_x509_certificate(renewed.certificate_pem)
    assert new_cert.public_key().public_numbers() == key.public_key().public_numbers()
    async with helpers.mtls_channel(servers, helpers.pem_key(key), renewed.certificate_pem) as channel:
        answer = await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)
    assert answer.appliance_id == str(enrolled.appliance_id)
    async with enrolled.channel(servers) as channel:  # within the grace period: still accepted
        await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)
    await pool.execute("UPDATE appliance_certificates SET superseded_at = now() - interval '2 days'"
                       " WHERE superseded_at IS NOT NULL")
    async with enrolled.channel(servers) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await pb_grpc.ComplianceAgentStub(channel).Heartbeat(_heartbeat(), timeout=10)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED and "renewal" in err.value.details()


async def test_register_bad_csr_invalid_argument_token_kept(pool, servers, site_id):
    _, token = await enrollment.create_token(pool, site_id)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await helpers.register(servers, token, b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n")
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert (await helpers.register(servers, token, helpers.csr_for(helpers.new_key()))).appliance_id


async def test_health_and_reflection_served_on_enroll_port(servers):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    async with helpers.enroll_channel(servers) as channel:
        for service in ("", "osiris.compliance.v1.ComplianceAgent"):
            answer = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        stream = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
        names = {s.name async for r in stream for s in r.list_services_response.service}
    assert "osiris.compliance.v1.ComplianceAgent" in names and "grpc.health.v1.Health" in names


async def test_health_on_mtls_port_with_certificate(pool, servers, site_id):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    enrolled = await helpers.enroll(pool, servers, site_id)
    async with enrolled.channel(servers) as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


async def test_rate_limited_appliance_resource_exhausted_with_retry_after(pool, signing_key, tmp_path, site_id):
    from serving.grpc.server import serve
    from serving.grpc.settings import GrpcSettings
    from serving.ratelimit import TokenBucket

    limited = await serve(pool, signing_key, port=0, limiter=TokenBucket(0.01, 1),
                          settings=GrpcSettings(home=tmp_path, enroll_port=0, shutdown_grace_seconds=0.5))
    try:
        enrolled = await helpers.enroll(pool, limited, site_id)
        async with enrolled.channel(limited) as channel:
            stub = pb_grpc.ComplianceAgentStub(channel)
            await stub.Heartbeat(_heartbeat(), timeout=10)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Heartbeat(_heartbeat(), timeout=10)
        assert err.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert int(dict(err.value.trailing_metadata())["retry-after"]) >= 1
    finally:
        await limited.stop()


_GARBAGE = b"\xff\xff\xff\xff\x0f"  # a truncated varint: no protobuf parser accepts it


async def test_undecodable_request_invalid_argument_unary_and_stream(pool, servers, site_id):
    enrolled = await helpers.enroll(pool, servers, site_id)
    raw = {"request_serializer": lambda b: b, "response_deserializer": lambda b: b}
    async with helpers.enroll_channel(servers) as channel:
        register = channel.unary_unary("/osiris.compliance.v1.ComplianceAgent/Register", **raw)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await register(_GARBAGE, timeout=10)
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    async with enrolled.channel(servers) as channel:
        heartbeat = channel.unary_unary("/osiris.compliance.v1.ComplianceAgent/Heartbeat", **raw)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await heartbeat(_GARBAGE, timeout=10)
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        drift = channel.stream_stream("/osiris.compliance.v1.ComplianceAgent/ReportDrift", **raw)
        good = pb.DriftEvent(event_id="ok-1", host="pc", check_type="c", platform="linux").SerializeToString()
        call = drift(iter([good, _GARBAGE]), timeout=10)
        acks = []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for a in call:
                acks.append(pb.DriftAck.FromString(a))
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    # What arrived before the broken message was stored and acknowledged.
    assert [a.event_id for a in acks] == ["ok-1"]
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 1
