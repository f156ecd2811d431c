"""Protobuf messages to and from the contract models the service layer speaks, at the edge only.

The site and appliance always come from the caller's certificate, never from a message. A malformed
message is a BadRequest naming the field; pydantic errors from the contract models are mapped the
same way by `serving.grpc.errors`.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from contracts.api import CheckinRequest, CheckinResponse
from contracts.incidents import (
    CheckResult,
    CheckStatus,
    HealingOutcome,
    Incident,
    OutcomeStatus,
    Severity,
    Tier,
)
from contracts.telemetry import EventKind, TelemetryEvent
from protos.compliance.v1 import compliance_pb2 as pb
from serving.errors import BadRequest
from serving.services.auth import ApplianceIdentity

MAX_EVENT_ID = 64
"""The longest event id `contracts.telemetry.TelemetryEvent` takes (a test keeps the two equal)."""
RMM_CHECK_TYPE = "rmm_agent"
"""RMM status reports are stored as check results of this check type."""

_SEVERITY = {
    pb.SEVERITY_LOW: Severity.LOW,
    pb.SEVERITY_MEDIUM: Severity.MEDIUM,
    pb.SEVERITY_HIGH: Severity.HIGH,
    pb.SEVERITY_CRITICAL: Severity.CRITICAL,
}
_TIER = {pb.TIER_L1: Tier.L1, pb.TIER_L2: Tier.L2, pb.TIER_L3: Tier.L3}
_OUTCOME = {
    pb.OUTCOME_STATUS_HEALED: OutcomeStatus.HEALED,
    pb.OUTCOME_STATUS_FAILED: OutcomeStatus.FAILED,
    pb.OUTCOME_STATUS_ESCALATED: OutcomeStatus.ESCALATED,
    pb.OUTCOME_STATUS_SUPPRESSED: OutcomeStatus.SUPPRESSED,
    pb.OUTCOME_STATUS_PLANNED: OutcomeStatus.PLANNED,
}


def timestamp(value: datetime) -> Timestamp:
    """A timezone-aware datetime as a protobuf Timestamp."""
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def _when(message: Any, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    try:
        return getattr(message, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"{field} is out of range") from exc


def _json_object(text: str, field: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"{field} is not JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be a JSON object")
    return value


def _event(event_id: str, kind: EventKind, model: Any) -> TelemetryEvent:
    # The payload was just validated by its contract model; `model_construct` skips validating it a
    # second time (ingest validates once more), so only the event id's own limit is checked here.
    if len(event_id) > MAX_EVENT_ID:
        raise BadRequest(f"event_id is longer than {MAX_EVENT_ID} characters")
    return TelemetryEvent.model_construct(event_id=event_id, kind=kind, payload=model.model_dump(mode="json"))


def _required(value: str, field: str) -> str:
    if not value:
        raise BadRequest(f"{field} is empty")
    return value


def _optional(message: Any, field: str) -> str | None:
    return getattr(message, field) if message.HasField(field) else None


def _with_time(payload: dict[str, Any], key: str, when: datetime | None) -> dict[str, Any]:
    if when is not None:
        payload[key] = when
    return payload


def drift_incident(event: pb.DriftEvent, appliance: ApplianceIdentity) -> tuple[TelemetryEvent, Incident]:
    """A drift event as an incident telemetry event (and the incident, for heal planning)."""
    event_id = _required(event.event_id, "event_id")
    incident = Incident(**_with_time({
        "incident_id": event.incident_id or event_id,
        "site_id": str(appliance.site_id),
        "appliance_id": str(appliance.id),
        "host": _required(event.host, "host"),
        "check_type": _required(event.check_type, "check_type"),
        "platform": _required(event.platform, "platform"),
        # Unset or unknown severities fall back to medium, as `_safe_severity` does for stored rows.
        "severity": _SEVERITY.get(event.severity, Severity.MEDIUM),
        "details": _json_object(event.details_json, "details_json"),
        "hipaa_controls": list(event.hipaa_controls),
        "pattern_signature": event.pattern_signature,
    }, "observed_at", _when(event, "observed_at")))
    return _event(event_id, EventKind.INCIDENT, incident), incident


def healing_outcome(result: pb.HealingResult, appliance: ApplianceIdentity) -> TelemetryEvent:
    """A healing result as a healing-outcome telemetry event."""
    event_id = _required(result.event_id, "event_id")
    if result.tier not in _TIER:
        raise BadRequest(f"event {event_id}: tier must be L1, L2 or L3")
    if result.status not in _OUTCOME:
        raise BadRequest(f"event {event_id}: status is unset or unknown")
    outcome = HealingOutcome(**_with_time({
        "event_id": event_id,
        "incident_id": _required(result.incident_id, "incident_id"),
        "site_id": str(appliance.site_id),
        "host": result.host,
        "tier": _TIER[result.tier],
        "status": _OUTCOME[result.status],
        "runbook_id": _optional(result, "runbook_id"),
        "rule_id": _optional(result, "rule_id"),
        "decision_id": _optional(result, "decision_id"),
        "pattern_signature": result.pattern_signature,
        "duration_ms": result.duration_ms,
        "before": _json_object(result.before_json, "before_json"),
        "after": _json_object(result.after_json, "after_json"),
        "error": _optional(result, "error"),
    }, "finished_at", _when(result, "finished_at")))
    return _event(event_id, EventKind.HEALING_OUTCOME, outcome)


def rmm_check(device: pb.RMMDeviceStatus, appliance: ApplianceIdentity) -> TelemetryEvent:
    """An RMM device status as a check result: pass when the RMM agent is installed and online."""
    event_id = _required(device.event_id, "event_id")
    last_contact = _when(device, "last_contact")
    check = CheckResult(**_with_time({
        "event_id": event_id,
        "site_id": str(appliance.site_id),
        "appliance_id": str(appliance.id),
        "host": _required(device.host, "host"),
        "check_type": RMM_CHECK_TYPE,
        "platform": device.platform or "unknown",
        "status": CheckStatus.PASS if device.installed and device.online else CheckStatus.FAIL,
        "details": {
            "vendor": device.vendor,
            "agent_version": device.agent_version,
            "installed": device.installed,
            "online": device.online,
            "last_contact": last_contact.isoformat() if last_contact else None,
        },
    }, "observed_at", _when(device, "observed_at")))
    return _event(event_id, EventKind.CHECK_RESULT, check)


def checkin_request(request: pb.HeartbeatRequest) -> CheckinRequest:
    """A heartbeat as the HTTP check-in's request."""
    return CheckinRequest(
        hostname=_required(request.hostname, "hostname"),
        agent_version=_required(request.agent_version, "agent_version"),
        platform=request.platform or "linux",
        bundle_version=request.bundle_version,
        uptime_seconds=max(0.0, request.uptime_seconds),
        outbox_depth=request.outbox_depth,
    )


def envelope(data: dict[str, Any]) -> pb.SignedEnvelope:
    """A DSSE envelope (JSON form, base64 fields) as its message with the raw signed bytes."""
    return pb.SignedEnvelope(
        payload_type=data["payloadType"],
        payload=base64.b64decode(data["payload"]),
        signatures=[pb.Signature(keyid=s["keyid"], sig=base64.b64decode(s["sig"])) for s in data["signatures"]],
    )


def envelope_json(message: pb.SignedEnvelope) -> dict[str, Any]:
    """The JSON form of an envelope message, byte for byte what the HTTP check-in would deliver."""
    return {
        "payloadType": message.payload_type,
        "payload": base64.b64encode(message.payload).decode(),
        "signatures": [{"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode()} for s in message.signatures],
    }


def heartbeat_response(answer: CheckinResponse, certificate_not_after: datetime) -> pb.HeartbeatResponse:
    """The check-in's answer as a heartbeat response."""
    response = pb.HeartbeatResponse(
        appliance_id=answer.appliance_id,
        site_id=answer.site_id,
        server_time=timestamp(answer.server_time),
        bundle_digest=answer.bundle_digest or "",
        orders=[envelope(o) for o in answer.orders],
        targets=[
            pb.SealedTarget(
                credential_id=t.credential_id, host=t.host, port=t.port, distro=t.distro or "",
                sealed=base64.b64decode(t.sealed),
            )
            for t in answer.targets
        ],
        certificate_not_after=timestamp(certificate_not_after),
    )
    if answer.bundle_version is not None:
        response.bundle_version = answer.bundle_version
    return response
