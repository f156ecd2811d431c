"""Fuzzing telemetry batches: the contract model, and `POST /api/agent/telemetry` on the real app.

The model may refuse a batch only with `pydantic.ValidationError` (its documented contract); the
route may refuse one only with a 4xx. Mutations start from one valid event of every kind, so most
of each hostile batch is well-formed and the request gets as far as the COPY into Postgres.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts.telemetry import TelemetryBatch
from tests.hardening._fuzz import FUZZ, dumps, hostile_bytes, materialize, mutated_doc
from tests.serving import factories
from tests.serving.factories import bearer

pytestmark = pytest.mark.timeout(180)

SITE = "0b8f0f2a-0000-4000-8000-00000000000a"
ORDER = "0b8f0f2a-0000-4000-8000-00000000000b"
SAMPLE = {"events": factories.one_of_each(SITE, ORDER)}


@FUZZ
@given(data=hostile_bytes(SAMPLE))
def test_telemetry_batch_hostile_bytes_validation_error(data):
    try:
        TelemetryBatch.model_validate_json(data)
    except ValidationError:
        pass


@FUZZ
@given(doc=mutated_doc(SAMPLE, max_edits=4))
def test_telemetry_batch_hostile_objects_validation_error(doc):
    try:
        TelemetryBatch.model_validate(materialize(doc))
    except ValidationError:
        pass


@pytest.fixture
async def seeded(api):
    """A site, an appliance with its evidence key, and an order for it; valid events of every kind."""
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "run_drift"},
                              headers=bearer(api.admin))
    assert r.status_code == 201, r.text
    events = factories.one_of_each(sid, r.json()["id"], appliance=appliance)
    return api, appliance, {"events": events}


@settings(FUZZ, max_examples=120, suppress_health_check=[*FUZZ.suppress_health_check,
                                                          HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_post_telemetry_hostile_batch_never_5xx(seeded, data):
    # The same app and database serve every example: what one example stored, the next may collide with.
    api, appliance, sample = seeded
    body = data.draw(st.one_of(hostile_bytes(sample), mutated_doc(sample, max_edits=3).map(dumps)), label="body")
    r = await api.client.post("/api/agent/telemetry", content=body,
                              headers={**appliance.headers, "content-type": "application/json"})
    assert r.status_code < 500, (r.status_code, r.text[:300])
    assert r.status_code in (200, 400, 403, 404, 409, 413), (r.status_code, r.text[:300])


async def test_post_telemetry_sample_is_accepted(seeded):
    api, appliance, sample = seeded
    r = await api.client.post("/api/agent/telemetry", content=dumps(sample),
                              headers={**appliance.headers, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(sample["events"])


async def test_post_telemetry_unpaired_surrogate_in_details_400(seeded):
    # Found by fuzzing: a JSON "\ud800" escape inside free-form facts reached pydantic's JSON writer
    # and answered 500. (Vector: tests/vectors/fuzz/telemetry_unpaired_surrogate_in_details.json.)
    api, appliance, sample = seeded
    incident = next(e for e in sample["events"] if e["kind"] == "incident")
    incident["payload"]["details"] = {"profile": "dom\ud800ain"}
    body = dumps({"events": [incident]}, ascii=True)
    assert b"\\ud800" in body
    r = await api.client.post("/api/agent/telemetry", content=body,
                              headers={**appliance.headers, "content-type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "surrogate" in r.json()["detail"]
