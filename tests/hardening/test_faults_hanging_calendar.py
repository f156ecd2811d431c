"""Fault: an OpenTimestamps calendar that hangs, silent or dripping one header byte at a time.

Dripping keeps every read inside a per-read timeout, so only an overall deadline ends the request.
What must hold: stamping raises a typed `CalendarUnreachableError` within the client's timeout (plus
a margin), and an upgrade keeps the proof pending and records the failure, in the same time.
"""

from __future__ import annotations

import os
import time

import pytest
from opentimestamps.core.notary import PendingAttestation
from opentimestamps.core.op import OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import DetachedTimestampFile, Timestamp

from tests.hardening.faults_hang import HangingServer
from warehouse.evidence.calendar import CalendarClient
from warehouse.evidence.errors import CalendarUnreachableError

pytestmark = pytest.mark.slow

MODES = ["silent", "drip"]
MARGIN = 2.0
"""Seconds allowed beyond a configured time: thread start-up, a loaded 2-core machine."""


@pytest.fixture
def hanging():
    with HangingServer() as server:
        yield server


# --- OpenTimestamps calendar ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_faults_hanging_calendar_stamp_typed_error_within_timeout(hanging, mode):
    hanging.mode = mode
    with CalendarClient([hanging.url], timeout=1.0) as client:
        start = time.monotonic()
        with pytest.raises(CalendarUnreachableError, match="timed out"):
            client.stamp(os.urandom(32))
        elapsed = time.monotonic() - start
    assert hanging.connections == 1 and elapsed < 1.0 + MARGIN, elapsed


def _pending_proof(digest: bytes, uri: str) -> bytes:
    detached = DetachedTimestampFile(OpSHA256(), Timestamp(digest))
    detached.timestamp.attestations.add(PendingAttestation(uri))
    ctx = BytesSerializationContext()
    detached.serialize(ctx)
    return ctx.getbytes()


@pytest.mark.parametrize("mode", MODES)
def test_faults_hanging_calendar_upgrade_keeps_proof_pending_within_timeout(hanging, mode):
    hanging.mode = mode
    proof = _pending_proof(os.urandom(32), hanging.url)
    with CalendarClient([hanging.url], timeout=1.0) as client:
        start = time.monotonic()
        result = client.upgrade(proof)
        elapsed = time.monotonic() - start
    assert elapsed < 1.0 + MARGIN, elapsed
    assert not result.changed and not result.complete and result.pending == [hanging.url]
    assert [type(f) for f in result.failures] == [CalendarUnreachableError]
