"""The appliance's gRPC helper against the real listeners: enroll, call, renew, and refusals."""

from __future__ import annotations

import os
import stat

import pytest

from agent import grpc_client
from agent.errors import CentralAuthError, CentralRejectedError, CentralUnavailableError, KeyFileError
from protos.compliance.v1 import compliance_pb2 as pb
from serving.pki.ca import CertificateAuthority
from serving.services import appliances, enrollment, orders


def _targets(servers) -> tuple[str, str]:
    return f"127.0.0.1:{servers.enroll_port}", f"127.0.0.1:{servers.port}"


async def _enrolled(pool, servers, site_id, state_dir):
    _, token = await enrollment.create_token(pool, site_id)
    enroll_target, _ = _targets(servers)
    return await grpc_client.enroll(enroll_target, servers.ca.pem, token, state_dir, hostname="fd-1")


async def test_agent_enroll_saves_identity_0600_and_heartbeat_gets_orders(pool, servers, site_id, tmp_path, signing_key):
    state = tmp_path / "agent"
    result = await _enrolled(pool, servers, site_id, state)
    assert stat.S_IMODE((state / "grpc" / "agent.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "grpc").stat().st_mode) == 0o700
    identity = grpc_client.load_identity(state)
    assert str(identity.appliance_id) == result.appliance_id and result.api_key.startswith("osa_")
    assert not identity.needs_renewal()

    made = await orders.create_order(pool, appliance_id=identity.appliance_id, order_type="run_drift", params={},
                                     signing_key=signing_key)
    async with grpc_client.ComplianceClient(_targets(servers)[1], identity) as client:
        answer = await client.heartbeat(pb.HeartbeatRequest(hostname="fd-1", agent_version="0.1.0"))
        acks = [a async for a in client.report_drift([pb.DriftEvent(event_id="e1", host="pc-1", check_type="x",
                                                                    platform="linux")])]
    assert [grpc_client.envelope_json(o) for o in answer.orders] == [made["envelope"]]
    assert [(a.event_id, a.status) for a in acks] == [("e1", pb.ACK_STATUS_STORED)]


async def test_agent_renew_switches_to_new_key(pool, servers, site_id, tmp_path):
    state = tmp_path / "agent"
    first = (await _enrolled(pool, servers, site_id, state)).identity
    async with grpc_client.ComplianceClient(_targets(servers)[1], first) as client:
        renewed = await client.renew(state)
        await client.heartbeat(pb.HeartbeatRequest(hostname="fd-1", agent_version="0.1.0"))
    assert renewed.key_pem != first.key_pem and grpc_client.load_identity(state) == renewed


async def test_agent_revoked_appliance_central_auth_error(pool, servers, site_id, tmp_path):
    result = await _enrolled(pool, servers, site_id, tmp_path)
    await appliances.revoke_appliance(pool, site_id, result.identity.appliance_id)
    async with grpc_client.ComplianceClient(_targets(servers)[1], result.identity) as client:
        with pytest.raises(CentralAuthError, match="revoked"):
            await client.heartbeat(pb.HeartbeatRequest(hostname="fd-1", agent_version="0.1.0"))


async def test_agent_enroll_used_token_central_auth_error(pool, servers, site_id, tmp_path):
    _, token = await enrollment.create_token(pool, site_id)
    target = _targets(servers)[0]
    await grpc_client.enroll(target, servers.ca.pem, token, tmp_path / "a")
    with pytest.raises(CentralAuthError, match="already used"):
        await grpc_client.enroll(target, servers.ca.pem, token, tmp_path / "b")
    assert not (tmp_path / "b" / "grpc").exists()


async def test_agent_enroll_wrong_pinned_ca_unavailable_token_unspent(pool, servers, site_id, tmp_path):
    # A server that does not chain to the pinned CA is never sent the token.
    _, token = await enrollment.create_token(pool, site_id)
    with pytest.raises(CentralUnavailableError):
        await grpc_client.enroll(_targets(servers)[0], CertificateAuthority.create().pem, token, tmp_path, timeout=5)
    assert await pool.fetchval("SELECT used_at FROM enrollment_tokens") is None


async def test_agent_bad_heartbeat_central_rejected(pool, servers, site_id, tmp_path):
    identity = (await _enrolled(pool, servers, site_id, tmp_path)).identity
    async with grpc_client.ComplianceClient(_targets(servers)[1], identity) as client:
        with pytest.raises(CentralRejectedError) as err:
            await client.heartbeat(pb.HeartbeatRequest())
    assert err.value.status_code == 400


def test_load_identity_missing_or_open_key_file_error(tmp_path):
    with pytest.raises(KeyFileError, match="enroll first"):
        grpc_client.load_identity(tmp_path)


async def test_load_identity_key_readable_by_others_or_swapped_refused(pool, servers, site_id, tmp_path):
    await _enrolled(pool, servers, site_id, tmp_path)
    key_path = tmp_path / "grpc" / "agent.key"
    os.chmod(key_path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        grpc_client.load_identity(tmp_path)
    other_key, _ = grpc_client.new_key_and_csr()
    key_path.write_bytes(other_key)
    os.chmod(key_path, 0o600)
    with pytest.raises(KeyFileError, match="does not belong"):
        grpc_client.load_identity(tmp_path)
