"""Fuzzing the gRPC edge: hostile bytes and hostile field values for every request message.

In process: bytes either fail protobuf decoding (DecodeError, which the gate answers INVALID_ARGUMENT)
or decode into a message whose conversion raises only BadRequest / ValidationError / ContractError,
each of which `serving.grpc.errors.to_status` maps to INVALID_ARGUMENT. Over a real mutual-TLS
listener: raw bytes and hostile field values to every method come back OK or as the caller's fault
(INVALID_ARGUMENT, NOT_FOUND, ...), never INTERNAL or UNKNOWN.
"""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.errors import ContractError
from protos.compliance.v1 import compliance_pb2 as pb
from serving.errors import BadRequest
from serving.grpc import convert
from serving.grpc.errors import to_status
from serving.services.auth import ApplianceIdentity
from tests.hardening._fuzz import FUZZ, byte_mutations, dumps, mutated_doc
from tests.serving.grpc import helpers

pytestmark = pytest.mark.timeout(180)

ME = ApplianceIdentity(id=uuid.uuid4(), site_id=uuid.uuid4())
SERVICE = "/osiris.compliance.v1.ComplianceAgent/"
DETAILS = {"profile": "domain", "enabled": False, "rules": [{"port": 3389, "action": "allow"}]}


def _now() -> Timestamp:
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts


DRIFT = pb.DriftEvent(event_id="e-1", host="pc-1", check_type="firewall_status", platform="windows",
                      severity=pb.SEVERITY_HIGH, details_json=json.dumps(DETAILS), hipaa_controls=["164.312(a)(1)"],
                      observed_at=_now(), request_heal=True)
HEALING = pb.HealingReport(results=[pb.HealingResult(
    event_id="h-1", incident_id="e-1", host="pc-1", tier=pb.TIER_L1, status=pb.OUTCOME_STATUS_HEALED,
    runbook_id="RB-WIN-FIREWALL-001", duration_ms=120.5, before_json=json.dumps(DETAILS), after_json="{}",
    finished_at=_now())])
RMM = pb.RMMStatusReport(devices=[pb.RMMDeviceStatus(
    event_id="r-1", host="pc-1", platform="windows", vendor="datto", agent_version="4.2", installed=True,
    online=True, last_contact=_now(), observed_at=_now())])
HEARTBEAT = pb.HeartbeatRequest(hostname="appliance-1", agent_version="0.1.0", platform="linux", bundle_version=3,
                                uptime_seconds=12.5, outbox_depth=2)
REGISTER = pb.RegisterRequest(enrollment_token="ose_" + "x" * 40, csr_pem=b"-----BEGIN CERTIFICATE REQUEST-----\n",
                              hostname="appliance-1")

_text = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "x" * 200, "\u0000", "é", "../..", "😀" * 20]))
_json_text = st.one_of(_text, mutated_doc(DETAILS).map(lambda d: dumps(d, ascii=True).decode()),
                       st.sampled_from(["[" * 5000 + "]" * 5000, "null", "1e400", '{"a": NaN}', '{"a": "\\ud800"}']))
_timestamp = st.builds(Timestamp, seconds=st.integers(-(2**63), 2**63 - 1), nanos=st.integers(-(2**31), 2**31 - 1))
_enum = st.integers(-(2**31), 2**31 - 1)

_FIELDS = {  # hostile values per field, for messages that are otherwise the valid samples
    pb.DriftEvent: {"event_id": _text, "incident_id": _text, "host": _text, "check_type": _text, "platform": _text,
                    "severity": _enum, "details_json": _json_text, "hipaa_controls": st.lists(_text, max_size=3),
                    "observed_at": _timestamp, "pattern_signature": _text, "request_heal": st.booleans()},
    pb.HealingResult: {"event_id": _text, "incident_id": _text, "host": _text, "tier": _enum, "status": _enum,
                       "runbook_id": _text, "rule_id": _text, "decision_id": _text, "pattern_signature": _text,
                       "duration_ms": st.floats(allow_nan=True, allow_infinity=True), "before_json": _json_text,
                       "after_json": _json_text, "error": _text, "finished_at": _timestamp},
    pb.RMMDeviceStatus: {"event_id": _text, "host": _text, "platform": _text, "vendor": _text,
                         "agent_version": _text, "last_contact": _timestamp, "observed_at": _timestamp},
    pb.HeartbeatRequest: {"hostname": _text, "agent_version": _text, "platform": _text,
                          "bundle_version": st.integers(0, 2**32 - 1),
                          "uptime_seconds": st.floats(allow_nan=True, allow_infinity=True),
                          "outbox_depth": st.integers(0, 2**32 - 1)},
}


@st.composite
def _mutated(draw: st.DrawFn, sample):
    """The sample with one to three fields set to hostile values (the rest stays valid)."""
    message = type(sample)()
    message.CopyFrom(sample)
    fields = _FIELDS[type(sample)]
    for name in draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)):
        value = draw(fields[name])
        if isinstance(value, Timestamp):
            getattr(message, name).CopyFrom(value)
        elif name == "hipaa_controls":
            del message.hipaa_controls[:]
            message.hipaa_controls.extend(value)
        else:
            setattr(message, name, value)
    return message


_drift = _mutated(DRIFT)
_heartbeat = _mutated(HEARTBEAT)
_healing = _mutated(HEALING.results[0])
_rmm = _mutated(RMM.devices[0])


def _convert_all(message) -> None:
    """What the servicer does with a decoded request before it reaches the service layer."""
    if isinstance(message, pb.DriftEvent):
        convert.drift_incident(message, ME)
    elif isinstance(message, pb.HealingReport):
        for result in message.results:
            convert.healing_outcome(result, ME)
    elif isinstance(message, pb.RMMStatusReport):
        for device in message.devices:
            convert.rmm_check(device, ME)
    elif isinstance(message, pb.HeartbeatRequest):
        convert.checkin_request(message)


def _edge(message) -> None:
    """Conversion either succeeds or fails with an error the one mapping calls INVALID_ARGUMENT."""
    try:
        _convert_all(message)
    except (BadRequest, ValidationError, ContractError) as exc:
        assert to_status(exc)[0] is grpc.StatusCode.INVALID_ARGUMENT


SAMPLES = [DRIFT, HEALING, RMM, HEARTBEAT, REGISTER]


@FUZZ
@given(kind=st.sampled_from(SAMPLES), data=st.data())
def test_grpc_request_hostile_bytes_decode_error_or_invalid_argument(kind, data):
    raw = data.draw(st.one_of(st.binary(max_size=256), byte_mutations(kind.SerializeToString())), label="raw")
    try:
        message = type(kind).FromString(raw)
    except DecodeError:
        return  # the gate turns this into INVALID_ARGUMENT (tests/serving/grpc covers that mapping)
    _edge(message)


@settings(FUZZ, max_examples=200)
@given(message=st.one_of(_drift, _heartbeat, st.builds(pb.HealingReport, results=st.lists(_healing, max_size=2)),
                         st.builds(pb.RMMStatusReport, devices=st.lists(_rmm, max_size=2))))
def test_grpc_request_hostile_fields_invalid_argument(message):
    _edge(message)


# --- over the wire ------------------------------------------------------------------------------

_METHODS = {  # method -> (sample message, streaming)
    "ReportDrift": (DRIFT, True),
    "ReportHealing": (HEALING, False),
    "ReportRMMStatus": (RMM, False),
    "Heartbeat": (HEARTBEAT, False),
    "RenewCertificate": (pb.RenewCertificateRequest(csr_pem=b"x"), False),
}
_ALLOWED = {  # what hostile input may get: served, or refused as the caller's fault (never INTERNAL / UNKNOWN)
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
}


async def _call_raw(channel: grpc.aio.Channel, method: str, raw: bytes, streaming: bool) -> grpc.StatusCode:
    """Send bytes as they are (no serializer) and return the call's status code."""
    try:
        if streaming:
            call = channel.stream_stream(SERVICE + method)(iter([raw]), timeout=10)
            async for _ in call:
                pass
        else:
            await channel.unary_unary(SERVICE + method)(raw, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.fixture
async def enrolled(pool, servers, site_id):
    """An appliance enrolled over gRPC, and a mutual-TLS channel with its certificate."""
    appliance = await helpers.enroll(pool, servers, site_id)
    async with appliance.channel(servers) as channel, helpers.enroll_channel(servers) as enroll:
        yield channel, enroll


@settings(FUZZ, max_examples=60, suppress_health_check=[*FUZZ.suppress_health_check,
                                                         HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(sorted(_METHODS)), data=st.data())
async def test_grpc_methods_hostile_bytes_never_internal(enrolled, method, data):
    channel, _ = enrolled
    sample, streaming = _METHODS[method]
    raw = data.draw(st.one_of(st.binary(max_size=256), byte_mutations(sample.SerializeToString())), label="raw")
    code = await _call_raw(channel, method, raw, streaming)
    assert code in _ALLOWED, (method, code)


@settings(FUZZ, max_examples=30, suppress_health_check=[*FUZZ.suppress_health_check,
                                                         HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=256), byte_mutations(REGISTER.SerializeToString())))
async def test_grpc_register_hostile_bytes_never_internal(enrolled, raw):
    _, enroll = enrolled
    code = await _call_raw(enroll, "Register", raw, streaming=False)
    assert code in _ALLOWED, code


@settings(FUZZ, max_examples=60, suppress_health_check=[*FUZZ.suppress_health_check,
                                                         HealthCheck.function_scoped_fixture])
@given(message=st.one_of(
    _drift.map(lambda m: ("ReportDrift", m)),
    st.builds(pb.HealingReport, results=st.lists(_healing, min_size=1, max_size=2)).map(lambda m: ("ReportHealing", m)),
    st.builds(pb.RMMStatusReport, devices=st.lists(_rmm, min_size=1, max_size=2)).map(lambda m: ("ReportRMMStatus", m)),
    _heartbeat.map(lambda m: ("Heartbeat", m)),
))
async def test_grpc_methods_hostile_fields_never_internal(enrolled, message):
    # Well-formed messages with hostile values get past decoding and conversion into the service
    # layer and Postgres: a value that only the database or a serialiser refuses must still be bad input.
    channel, _ = enrolled
    method, request = message
    code = await _call_raw(channel, method, request.SerializeToString(), _METHODS[method][1])
    assert code in _ALLOWED, (method, code)


async def test_grpc_undecodable_request_invalid_argument(enrolled):
    channel, _ = enrolled
    assert await _call_raw(channel, "Heartbeat", b"\xff\xff\xff", streaming=False) is grpc.StatusCode.INVALID_ARGUMENT


async def test_grpc_drift_unpaired_surrogate_in_details_rejected_not_internal(enrolled):
    # The telemetry surrogate bug (tests/vectors/fuzz/telemetry_unpaired_surrogate_in_details.json)
    # reached gRPC too: a JSON "\ud800" escape in details_json ended the whole stream with INTERNAL.
    channel, _ = enrolled
    event = pb.DriftEvent()
    event.CopyFrom(DRIFT)
    event.details_json = '{"profile": "dom\\ud800ain"}'
    call = channel.stream_stream(SERVICE + "ReportDrift", request_serializer=pb.DriftEvent.SerializeToString,
                                 response_deserializer=pb.DriftAck.FromString)
    acks = [ack async for ack in call(iter([event]), timeout=10)]
    assert [a.status for a in acks] == [pb.ACK_STATUS_REJECTED] and "surrogate" in acks[0].error
