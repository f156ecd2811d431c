"""Telemetry: what an appliance sends Central Command, as a batch of typed, idempotent events.

Every event carries its own `event_id`; Central Command stores each id once, so a batch replayed
after a lost acknowledgement adds nothing. `payload` is validated by the model for `kind`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.incidents import CheckResult, HealingOutcome, Incident, L2Decision, Severity, new_id, utcnow

MAX_BATCH_EVENTS = 10_000
"""The largest batch the telemetry endpoint takes in one request."""


class EventKind(StrEnum):
    """The kinds of telemetry event."""

    INCIDENT = "incident"
    L2_DECISION = "l2_decision"
    HEALING_OUTCOME = "healing_outcome"
    CHECK_RESULT = "check_result"
    DEVICE_SCAN = "device_scan"
    SOFTWARE_INVENTORY = "software_inventory"
    EVIDENCE_BUNDLE = "evidence_bundle"
    SHADOW_MATCH = "shadow_match"
    ESCALATION = "escalation"
    ORDER_RESULT = "order_result"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenPort(_Model):
    """One open port nmap found."""

    port: int = Field(ge=0, le=65535)
    proto: str = "tcp"
    service: str = ""
    product: str = ""
    version: str = ""


class DeviceScan(_Model):
    """A network scan of one device."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    host: str
    ip: str | None = None
    mac: str | None = None
    os: str | None = None
    device_type: str | None = None
    in_inventory: bool = True
    open_ports: list[OpenPort] = Field(default_factory=list)
    scanned_at: datetime = Field(default_factory=utcnow)


class SoftwareItem(_Model):
    """One installed product or OS on a device, as a CPE 2.3 name."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    host: str
    cpe: str
    product: str = ""
    version: str = ""
    observed_at: datetime = Field(default_factory=utcnow)


class ShadowMatch(_Model):
    """A shadow rule that would have fired; recorded beside what L2 actually decided."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    incident_id: str
    rule_id: str
    runbook_id: str | None
    pattern_signature: str
    matched_at: datetime = Field(default_factory=utcnow)


class EscalationRequest(_Model):
    """An incident the appliance hands to humans (L3)."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    incident_id: str
    host: str
    check_type: str
    severity: Severity = Severity.MEDIUM
    reason: str
    pattern_signature: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    resolved: bool = False
    requested_at: datetime = Field(default_factory=utcnow)


class OrderResult(_Model):
    """How an order ended on the appliance (refused orders are reported too, never run)."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    order_id: str
    status: str = Field(pattern=r"^(completed|failed|refused|unsupported)$")
    detail: str = ""
    finished_at: datetime = Field(default_factory=utcnow)


PAYLOAD_MODELS: dict[EventKind, type[BaseModel]] = {
    EventKind.INCIDENT: Incident,
    EventKind.L2_DECISION: L2Decision,
    EventKind.HEALING_OUTCOME: HealingOutcome,
    EventKind.CHECK_RESULT: CheckResult,
    EventKind.DEVICE_SCAN: DeviceScan,
    EventKind.SOFTWARE_INVENTORY: SoftwareItem,
    EventKind.SHADOW_MATCH: ShadowMatch,
    EventKind.ESCALATION: EscalationRequest,
    EventKind.ORDER_RESULT: OrderResult,
    # evidence bundles are validated by contracts.evidence (signed bytes must stay untouched)
}


class TelemetryEvent(_Model):
    """One event in a batch."""

    event_id: str = Field(min_length=1, max_length=64)
    kind: EventKind
    payload: dict[str, Any]

    @model_validator(mode="after")
    def _payload_fits_kind(self) -> TelemetryEvent:
        model = PAYLOAD_MODELS.get(self.kind)
        if model is not None:
            try:
                model.model_validate(self.payload)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()))
                raise ValueError(f"{self.kind.value} payload.{where}: {first.get('msg')}") from None
        return self

    def model(self) -> BaseModel | dict[str, Any]:
        """The payload as its typed model (evidence stays a dict)."""
        model = PAYLOAD_MODELS.get(self.kind)
        return model.model_validate(self.payload) if model else self.payload


class TelemetryBatch(_Model):
    """`POST /api/agent/telemetry` body."""

    events: list[TelemetryEvent] = Field(max_length=MAX_BATCH_EVENTS)


class TelemetryAck(_Model):
    """`POST /api/agent/telemetry` answer: how many were new and how many were seen before."""

    accepted: int
    duplicates: int


def event(kind: EventKind, model: BaseModel) -> TelemetryEvent:
    """Wrap a payload model as a telemetry event, reusing its own event id when it has one."""
    payload = model.model_dump(mode="json")
    # A decision names its incident too: its own id must win, or it would collide with the incident.
    event_id = (
        payload.get("event_id") or payload.get("decision_id") or payload.get("incident_id") or new_id()
    )
    return TelemetryEvent(event_id=str(event_id), kind=kind, payload=payload)
