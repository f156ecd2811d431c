"""The outbox: ordered, idempotent, bounded with an alarm, drained in batches with backoff."""

from __future__ import annotations

import pytest

from agent.errors import CentralRejectedError, CentralUnavailableError, OutboxFullError
from agent.outbox import Outbox
from agent.store import Store
from contracts.incidents import CheckResult, CheckStatus
from contracts.telemetry import EventKind, TelemetryAck, event


def _ev(i: int = 0):
    return event(EventKind.CHECK_RESULT, CheckResult(site_id="s", host=f"h{i}", check_type="firewall_status",
                                                     platform="linux", status=CheckStatus.PASS))


@pytest.fixture
def outbox(tmp_path) -> Outbox:
    return Outbox(Store(tmp_path / "a.db"), max_events=20, backoff_base=10, backoff_max=100)


def test_outbox_add_same_event_twice_queued_once(outbox):
    ev = _ev()
    outbox.add([ev])
    outbox.add([ev])
    assert outbox.depth() == 1


def test_outbox_flush_oldest_first_in_batches(outbox):
    events = [_ev(i) for i in range(7)]
    for ev in events:
        outbox.add([ev])
    batches = []

    def send(batch):
        batches.append([e["event_id"] for e in batch])
        return TelemetryAck(accepted=len(batch), duplicates=0)

    result = outbox.flush(send, batch_size=3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sum(batches, []) == [e.event_id for e in events]
    assert result.sent == 7 and outbox.depth() == 0


def test_outbox_full_raises_and_sets_alarm_then_clears(outbox):
    outbox.add([_ev(i) for i in range(20)])
    with pytest.raises(OutboxFullError):
        outbox.add([event(EventKind.CHECK_RESULT, _ev(99).model())])
    assert outbox.status()["full"] is True
    outbox.flush(lambda b: TelemetryAck(accepted=len(b), duplicates=0))
    assert outbox.status()["full"] is False and outbox.depth() == 0


def test_outbox_sheddable_dropped_near_limit_and_counted(outbox):
    outbox.add([_ev(i) for i in range(18)])
    assert outbox.add([_ev(50)], sheddable=True) == 0
    assert outbox.add([_ev(51)]) == 1  # non-sheddable still fits
    assert outbox.status()["shed_check_results"] == 1


def test_outbox_send_failure_keeps_events_and_backs_off(outbox):
    outbox.add([_ev(1)])

    def down(batch):
        raise CentralUnavailableError("connection refused")

    first = outbox.flush(down, now=1000.0)
    assert first.error and outbox.depth() == 1
    skipped = outbox.flush(lambda b: TelemetryAck(accepted=1, duplicates=0), now=1001.0)
    assert skipped.skipped_backoff and outbox.depth() == 1
    later = outbox.flush(lambda b: TelemetryAck(accepted=1, duplicates=0), now=1000.0 + 101)
    assert later.sent == 1 and outbox.depth() == 0


def test_outbox_backoff_grows_and_is_capped(outbox):
    outbox.add([_ev(1)])

    def down(batch):
        raise CentralUnavailableError("503")

    delays = []
    for _ in range(8):
        outbox.flush(down, now=0.0, force=True)
        delays.append(float(outbox.store.get("outbox_next_attempt")))
    assert delays[0] <= 10 and max(delays) <= 100 and delays[-1] > delays[0]


def test_outbox_rejected_event_bisected_and_dead_lettered(outbox):
    good = [_ev(i) for i in range(5)]
    bad = _ev(66)
    for ev in good[:2] + [bad] + good[2:]:
        outbox.add([ev])
    delivered = []

    def send(batch):
        if any(e["event_id"] == bad.event_id for e in batch):
            raise CentralRejectedError("422 bad event", status_code=422)
        delivered.extend(e["event_id"] for e in batch)
        return TelemetryAck(accepted=len(batch), duplicates=0)

    result = outbox.flush(send, batch_size=10)
    assert sorted(delivered) == sorted(e.event_id for e in good)
    assert result.dead_lettered == 1 and outbox.status()["dead_letters"] == 1 and outbox.depth() == 0
