"""Edge conversions: broken messages become BadRequest naming the field, never a traceback."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from protos.compliance.v1 import compliance_pb2 as pb
from serving.errors import BadRequest
from serving.grpc import convert
from serving.services.auth import ApplianceIdentity

ME = ApplianceIdentity(id=uuid.uuid4(), site_id=uuid.uuid4())


def _drift(**kw) -> pb.DriftEvent:
    values = {"event_id": "e-1", "host": "pc-1", "check_type": "firewall_status", "platform": "windows"}
    values.update(kw)
    return pb.DriftEvent(**values)


def test_drift_incident_site_and_appliance_from_identity():
    event, incident = convert.drift_incident(_drift(details_json='{"profile": "domain", "n": 3}'), ME)
    assert event.payload["site_id"] == str(ME.site_id) and event.payload["appliance_id"] == str(ME.id)
    assert incident.details == {"profile": "domain", "n": 3}  # ints stay ints (why not Struct)
    assert incident.incident_id == "e-1" and incident.pattern_signature


def test_drift_incident_timestamp_out_of_range_bad_request():
    with pytest.raises(BadRequest, match="observed_at"):
        convert.drift_incident(_drift(observed_at=Timestamp(seconds=2**60)), ME)


@pytest.mark.parametrize("details", ["{", "[]", "1", '"text"', "[" * 100_000])
def test_drift_incident_details_not_object_bad_request(details):
    with pytest.raises(BadRequest, match="details_json"):
        convert.drift_incident(_drift(details_json=details), ME)


@pytest.mark.parametrize("field", ["event_id", "host", "check_type", "platform"])
def test_drift_incident_required_field_empty_bad_request(field):
    with pytest.raises(BadRequest, match=field):
        convert.drift_incident(_drift(**{field: ""}), ME)


def test_healing_outcome_unknown_tier_bad_request():
    with pytest.raises(BadRequest, match="tier"):
        convert.healing_outcome(pb.HealingResult(event_id="h", incident_id="i", tier=9,
                                                 status=pb.OUTCOME_STATUS_HEALED), ME)


def test_envelope_round_trip_exact_json():
    data = {"payloadType": "application/vnd.osiris.order+json", "payload": "eyJhIjoxfQ==",
            "signatures": [{"keyid": "k1", "sig": "AAEC"}]}
    assert convert.envelope_json(convert.envelope(data)) == data


def test_event_id_limit_matches_contract():
    from pydantic import ValidationError

    from contracts.telemetry import EventKind, TelemetryEvent

    ok, too_long = "e" * convert.MAX_EVENT_ID, "e" * (convert.MAX_EVENT_ID + 1)
    convert.drift_incident(_drift(event_id=ok), ME)
    with pytest.raises(BadRequest, match="event_id"):
        convert.drift_incident(_drift(event_id=too_long), ME)
    with pytest.raises(ValidationError):
        TelemetryEvent(event_id=too_long, kind=EventKind.CHECK_RESULT, payload={})
