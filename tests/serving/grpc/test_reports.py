"""Reports over mutual TLS land in Postgres through the same service layer as HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import grpc
import pytest

from contracts.envelope import Keyring
from contracts.orders import verify_order
from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.grpc import convert
from serving.services import bundles, orders
from tests.serving.grpc import helpers

FIREWALL_RULE = {
    "id": "L1-FW-TEST-001", "priority": 100, "source": "promoted",
    "conditions": [{"field": "check_type", "operator": "eq", "value": "firewall_status"}],
    "action": "execute_runbook", "runbook_id": "RB-WIN-FIREWALL-001", "params": {},
}


def _drift(i: int, **kw) -> pb.DriftEvent:
    values = {"event_id": f"drift-{i:05d}", "host": f"pc-{i % 7}", "check_type": "firewall_status",
              "platform": "windows", "severity": pb.SEVERITY_HIGH, "details_json": json.dumps({"profile": "domain"})}
    values.update(kw)
    return pb.DriftEvent(**values)


@pytest.fixture
async def appliance(pool, servers, site_id) -> helpers.Enrolled:
    """An enrolled appliance."""
    return await helpers.enroll(pool, servers, site_id)


@pytest.fixture
async def stub(servers, appliance):
    """A stub on a mutual-TLS channel of the enrolled appliance."""
    async with appliance.channel(servers) as channel:
        yield pb_grpc.ComplianceAgentStub(channel)


async def _paced(messages):
    # An async generator: the client keeps sending while acks flow back (a real bidirectional stream).
    for m in messages:
        yield m


async def test_report_drift_1000_events_acked_in_order_none_lost(pool, stub, appliance):
    sent = [_drift(i) for i in range(1000)]
    acks = [a async for a in stub.ReportDrift(_paced(sent), timeout=60)]
    assert [a.sequence for a in acks] == list(range(1, 1001))
    assert [a.event_id for a in acks] == [m.event_id for m in sent]
    assert {a.status for a in acks} == {pb.ACK_STATUS_STORED}
    stored = await pool.fetch("SELECT event_id, site_id, appliance_id, severity FROM incidents ORDER BY event_id")
    assert [r["event_id"] for r in stored] == [m.event_id for m in sent]
    assert {(r["site_id"], r["appliance_id"], r["severity"]) for r in stored} == {
        (appliance.site_id, appliance.appliance_id, "high")}


async def test_report_drift_resent_events_acked_stored_once(pool, stub):
    sent = [_drift(i) for i in range(20)]
    first = [a async for a in stub.ReportDrift(_paced(sent), timeout=30)]
    again = [a async for a in stub.ReportDrift(_paced(sent[5:15]), timeout=30)]
    assert [a.sequence for a in again] == list(range(1, 11))  # sequences count per stream
    assert {a.status for a in first + again} == {pb.ACK_STATUS_STORED}
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 20


async def test_report_drift_malformed_events_rejected_stream_goes_on(pool, stub):
    sent = [_drift(0), _drift(1, details_json="{not json"), _drift(2, host=""), _drift(3, event_id=""),
            _drift(4, details_json="[1, 2]"), _drift(5)]
    acks = [a async for a in stub.ReportDrift(_paced(sent), timeout=30)]
    assert [a.status for a in acks] == [pb.ACK_STATUS_STORED] + [pb.ACK_STATUS_REJECTED] * 4 + [pb.ACK_STATUS_STORED]
    assert "details_json" in acks[1].error and "host" in acks[2].error and "event_id" in acks[3].error
    assert [r["event_id"] for r in await pool.fetch("SELECT event_id FROM incidents ORDER BY 1")] == [
        "drift-00000", "drift-00005"]


async def test_report_drift_nul_byte_rejected_alone(pool, stub):
    # Postgres refuses NUL in text: the batch falls back to one-by-one and only that event is rejected.
    sent = [_drift(0), _drift(1, details_json=json.dumps({"profile": "a\u0000b"})), _drift(2)]
    acks = [a async for a in stub.ReportDrift(_paced(sent), timeout=30)]
    assert [a.status for a in acks] == [pb.ACK_STATUS_STORED, pb.ACK_STATUS_REJECTED, pb.ACK_STATUS_STORED]
    assert await pool.fetchval("SELECT count(*) FROM incidents") == 2


async def test_report_drift_unknown_severity_stored_medium(pool, stub):
    acks = [a async for a in stub.ReportDrift(_paced([_drift(0, severity=42)]), timeout=30)]
    assert acks[0].status == pb.ACK_STATUS_STORED
    assert await pool.fetchval("SELECT severity FROM incidents") == "medium"


async def test_report_drift_request_heal_signed_order_from_current_bundle(pool, stub, appliance, signing_key):
    no_bundle = [a async for a in stub.ReportDrift(_paced([_drift(0, request_heal=True)]), timeout=30)]
    assert not no_bundle[0].HasField("heal")
    version = await bundles.publish_bundle(pool, [FIREWALL_RULE], signing_key)
    sent = [_drift(1, request_heal=True), _drift(2, request_heal=False),
            _drift(3, request_heal=True, check_type="antivirus_status")]
    acks = [a async for a in stub.ReportDrift(_paced(sent), timeout=30)]
    assert [a.HasField("heal") for a in acks] == [True, False, False]
    heal = acks[0].heal
    assert (heal.rule_id, heal.runbook_id, heal.bundle_version) == ("L1-FW-TEST-001", "RB-WIN-FIREWALL-001", version)
    order = verify_order(convert.envelope_json(heal.order), Keyring.of(signing_key.verify_key),
                         appliance_id=str(appliance.appliance_id), nonce_seen=lambda _: False)
    assert order.type == "execute_runbook" and order.params["target"] == sent[0].host
    listed = await orders.list_orders(pool, appliance_id=appliance.appliance_id)
    assert [(o["kind"], o["status"]) for o in listed] == [("healing", "delivered")]


async def test_report_healing_outcomes_stored(pool, stub, appliance):
    finished = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    result = pb.HealingResult(
        event_id="heal-1", incident_id="inc-1", host="pc-1", tier=pb.TIER_L1, status=pb.OUTCOME_STATUS_HEALED,
        runbook_id="RB-WIN-FIREWALL-001", rule_id="L1-FIREWALL-001", pattern_signature="abc123",
        duration_ms=812.5, before_json='{"enabled": false}', after_json='{"enabled": true}',
        finished_at=convert.timestamp(finished),
    )
    ack = await stub.ReportHealing(pb.HealingReport(results=[result]), timeout=10)
    assert (ack.accepted, ack.duplicates) == (1, 0)
    again = await stub.ReportHealing(pb.HealingReport(results=[result]), timeout=10)
    assert (again.accepted, again.duplicates) == (0, 1)
    row = await pool.fetchrow("SELECT * FROM healing_outcomes")
    assert (row["tier"], row["status"], row["runbook_id"], row["decision_id"], row["finished_at"]) == (
        "L1", "healed", "RB-WIN-FIREWALL-001", None, finished)
    assert row["site_id"] == appliance.site_id and row["appliance_id"] == appliance.appliance_id
    assert row["payload"]["after"] == {"enabled": True}


async def test_report_healing_unset_status_invalid_argument(pool, stub):
    bad = pb.HealingResult(event_id="heal-1", incident_id="inc-1", tier=pb.TIER_L1)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ReportHealing(pb.HealingReport(results=[bad]), timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "status" in err.value.details()
    assert await pool.fetchval("SELECT count(*) FROM healing_outcomes") == 0


async def test_report_rmm_status_check_results(pool, stub):
    devices = [
        pb.RMMDeviceStatus(event_id="rmm-1", host="pc-1", platform="windows", vendor="ninjaone",
                           agent_version="5.3", installed=True, online=True),
        pb.RMMDeviceStatus(event_id="rmm-2", host="pc-2", platform="windows", vendor="ninjaone",
                           installed=True, online=False, last_contact=convert.timestamp(datetime(2026, 11, 1, tzinfo=UTC))),
    ]
    ack = await stub.ReportRMMStatus(pb.RMMStatusReport(devices=devices), timeout=10)
    assert (ack.accepted, ack.duplicates) == (2, 0)
    rows = await pool.fetch("SELECT host, check_type, status, payload FROM check_results ORDER BY host")
    assert [(r["host"], r["check_type"], r["status"]) for r in rows] == [
        ("pc-1", "rmm_agent", "pass"), ("pc-2", "rmm_agent", "fail")]
    assert rows[1]["payload"]["details"]["last_contact"].startswith("2026-11-01")


async def test_heartbeat_delivers_pending_signed_orders_once(pool, stub, appliance, signing_key):
    made = await orders.create_order(pool, appliance_id=appliance.appliance_id, order_type="run_drift",
                                     params={}, signing_key=signing_key)
    request = pb.HeartbeatRequest(hostname="appliance-1", agent_version="1.2.3", platform="nixos", bundle_version=4)
    first = await stub.Heartbeat(request, timeout=10)
    assert len(first.orders) == 1
    assert convert.envelope_json(first.orders[0]) == made["envelope"]  # the same bytes the HTTP check-in hands out
    assert (await stub.Heartbeat(request, timeout=10)).orders == []
    row = await pool.fetchrow("SELECT agent_version, platform, bundle_version FROM appliances WHERE id = $1",
                              appliance.appliance_id)
    assert tuple(row) == ("1.2.3", "nixos", 4)


async def test_heartbeat_missing_hostname_invalid_argument(stub):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Heartbeat(pb.HeartbeatRequest(agent_version="1"), timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "hostname" in err.value.details()


async def test_report_rmm_too_many_events_invalid_argument(pool, signing_key, tmp_path, site_id):
    from serving.grpc.server import serve
    from serving.grpc.settings import GrpcSettings

    small = await serve(pool, signing_key, port=0, settings=GrpcSettings(home=tmp_path, enroll_port=0,
                                                                         report_max_events=2))
    try:
        enrolled = await helpers.enroll(pool, small, site_id)
        devices = [pb.RMMDeviceStatus(event_id=str(uuid.uuid4()), host="pc") for _ in range(3)]
        async with enrolled.channel(small) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await pb_grpc.ComplianceAgentStub(channel).ReportRMMStatus(pb.RMMStatusReport(devices=devices), timeout=10)
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await small.stop()
