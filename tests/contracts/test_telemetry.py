"""The telemetry wire contract: typed events, bounded batches, payloads checked against their kind."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.incidents import Incident
from contracts.telemetry import MAX_BATCH_EVENTS, EventKind, TelemetryBatch, TelemetryEvent, event


def _incident() -> Incident:
    return Incident(site_id="s1", host="pc-1", check_type="firewall_status", platform="windows")


def test_event_reuses_incident_id_as_event_id():
    inc = _incident()
    ev = event(EventKind.INCIDENT, inc)
    assert ev.event_id == inc.incident_id
    assert isinstance(ev.model(), Incident)


def test_event_decision_keyed_by_its_own_id_not_its_incident():
    from contracts.incidents import L2Decision

    inc = _incident()
    decision = L2Decision(incident_id=inc.incident_id, site_id="s1", runbook_id="RB-X", confidence=0.9,
                          pattern_signature=inc.pattern_signature)
    assert event(EventKind.L2_DECISION, decision).event_id == decision.decision_id


def test_event_payload_not_fitting_kind_rejected():
    with pytest.raises(ValidationError, match="incident payload"):
        TelemetryEvent(event_id="e1", kind="incident", payload={"host": "x"})


def test_event_unknown_kind_rejected():
    with pytest.raises(ValidationError):
        TelemetryEvent(event_id="e1", kind="telepathy", payload={})


def test_batch_over_limit_rejected():
    ev = event(EventKind.INCIDENT, _incident()).model_dump()
    with pytest.raises(ValidationError):
        TelemetryBatch.model_validate({"events": [ev] * (MAX_BATCH_EVENTS + 1)})


def test_batch_json_roundtrip():
    batch = TelemetryBatch(events=[event(EventKind.INCIDENT, _incident())])
    assert TelemetryBatch.model_validate_json(batch.model_dump_json()) == batch
