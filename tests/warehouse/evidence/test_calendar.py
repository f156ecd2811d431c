"""The calendar client against a real calendar server on 127.0.0.1: stamp, upgrade, and failures."""

from __future__ import annotations

import hashlib
import socket
import time

import httpx
import pytest

from warehouse.evidence.calendar import CalendarClient
from warehouse.evidence.errors import CalendarResponseError, CalendarUnreachableError
from warehouse.evidence.headers import HeadersFile
from warehouse.evidence.ots import parse_ots
from warehouse.evidence.verify import verify_ots

ROOT = hashlib.sha256(b"a batch root").digest()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_stamp_gives_pending_proof_of_the_digest(calendar):
    with CalendarClient([calendar.url], timeout=5) as client:
        result = client.stamp(ROOT)
    proof = parse_ots(result.ots)
    assert proof.file_digest == ROOT and result.calendars == [calendar.url] and result.failures == []
    assert [(a.kind, a.uri) for _, a in proof.attestations()] == [("pending", calendar.url)]
    assert calendar.requests == [("POST", "/digest")]
    assert verify_ots(result.ots, None, digest=ROOT).status == "pending"


def test_upgrade_before_confirmation_stays_pending(calendar):
    with CalendarClient([calendar.url], timeout=5) as client:
        stamped = client.stamp(ROOT).ots
        result = client.upgrade(stamped)
    assert (result.changed, result.complete, result.pending) == (False, False, [calendar.url])
    assert result.ots == stamped


def test_upgrade_after_confirmation_verifies_at_block(calendar):
    with CalendarClient([calendar.url], timeout=5) as client:
        stamped = client.stamp(ROOT).ots
        block = calendar.confirm()
        result = client.upgrade(stamped)
    assert result.changed and result.complete and result.pending == []
    (height, entry), = block.items()
    headers = HeadersFile(block, network="regtest")
    verdict = verify_ots(result.ots, headers, digest=ROOT)
    assert verdict.verified, verdict.reason
    assert (verdict.best.height, verdict.best.time) == (int(height), entry["time"])
    # the same header is a fabrication by mainnet's rules
    assert verify_ots(result.ots, HeadersFile(block), digest=ROOT).status == "failed"


def test_stamp_two_calendars_one_down_records_failure(calendar):
    down = _closed_port_url()
    with CalendarClient([down, calendar.url], timeout=2) as client:
        result = client.stamp(ROOT)
    assert result.calendars == [calendar.url]
    (failure,) = result.failures
    assert isinstance(failure, CalendarUnreachableError) and failure.url == down


def test_stamp_all_down_unreachable_quickly():
    started = time.monotonic()
    with CalendarClient([_closed_port_url(), _closed_port_url()], timeout=2) as client:
        with pytest.raises(CalendarUnreachableError, match="no calendar stamped"):
            client.stamp(ROOT)
    assert time.monotonic() - started < 5


def test_stamp_slow_calendar_times_out(calendar):
    calendar.behaviour = "slow"
    with CalendarClient([calendar.url], timeout=0.5) as client:
        with pytest.raises(CalendarUnreachableError, match="timed out"):
            client.stamp(ROOT)


@pytest.mark.parametrize(("behaviour", "words"), [("http500", "HTTP 500"), ("garbage", "not a timestamp")])
def test_stamp_misbehaving_calendar_response_error(calendar, behaviour, words):
    calendar.behaviour = behaviour
    with CalendarClient([calendar.url], timeout=5) as client:
        with pytest.raises(CalendarResponseError, match=words):
            client.stamp(ROOT)


def test_upgrade_calendar_down_keeps_pending_and_records(calendar):
    with CalendarClient([calendar.url], timeout=5) as client:
        stamped = client.stamp(ROOT).ots
    calendar.behaviour = "http500"
    with CalendarClient([calendar.url], timeout=5) as client:
        result = client.upgrade(stamped)
    assert (result.changed, result.pending) == (False, [calendar.url])
    assert isinstance(result.failures[0], CalendarResponseError)


def test_upgrade_never_contacts_unconfigured_calendar(ots_dir):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"contacted {request.url}")

    with CalendarClient(["http://127.0.0.1:9"], transport=httpx.MockTransport(refuse)) as client:
        result = client.upgrade((ots_dir / "incomplete.txt.ots").read_bytes())
    assert result.pending == ["https://alice.btc.calendar.opentimestamps.org"] and not result.changed


def test_upgrade_follows_allowed_upgrade_url(calendar):
    with CalendarClient([calendar.url], timeout=5) as client:
        stamped = client.stamp(ROOT).ots
    calendar.confirm()
    with CalendarClient(["http://127.0.0.1:9"], upgrade_urls=[calendar.url], timeout=5) as client:
        assert client.upgrade(stamped).complete


def test_stamp_refuses_non_digest():
    with CalendarClient(["http://127.0.0.1:9"]) as client, pytest.raises(ValueError, match="32-byte"):
        client.stamp(b"short")


def test_upgrade_refuses_broken_proof():
    with CalendarClient(["http://127.0.0.1:9"]) as client, pytest.raises(ValueError, match="not a valid proof"):
        client.upgrade(b"garbage")
