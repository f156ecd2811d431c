"""Fault: Postgres stops and starts again while an appliance streams telemetry into `osiris serve`.

A dedicated embedded Postgres (never the shared server) backs a real `osiris serve` process; a
client posts numbered batches in a loop and resends each until it is acknowledged. Mid-stream
Postgres is stopped (`pg_ctl stop -m fast`) and started again. What must hold: while it is down the
server answers 503 with Retry-After (never 500, never a dropped connection) and `/readyz` is 503; it
recovers without a restart; every acknowledged batch is in Postgres, each event exactly once, and the
acknowledgements' counts add up to the rows.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.agent.live_central import RealCentral
from tests.hardening.faults_central import NumberedSender, check_result_batch, event_id_counts
from tests.hardening.faults_pg import OwnPostgres

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BATCH = 25


@pytest.fixture
def own_pg():
    pg = OwnPostgres()
    yield pg
    pg.close()


@pytest.fixture
def central(own_pg, tmp_path):
    cc = RealCentral(own_pg.url, tmp_path / "cc").start()
    yield cc
    cc.stop()


def _wait(predicate, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def _ready(url: str) -> int:
    return httpx.get(url + "/readyz", timeout=5).status_code


def test_faults_postgres_restart_during_ingest_acknowledged_batches_kept_once(own_pg, central):
    p = central.provision()
    pid = central.proc.pid
    sender = NumberedSender(central.url, p["api_key"], p["site_id"], size=BATCH)
    sender.start()
    try:
        _wait(lambda: sender.acked() >= 5, 20, "five batches acknowledged before the fault")
        down_at = time.monotonic()
        own_pg.stop()
        readyz_down = _ready(central.url)
        _wait(lambda: len(sender.failures_since(down_at)) >= 5, 10, "the sender to meet the outage")
        acked_while_down = sender.acked()
        own_pg.start()
        recovery = _wait(lambda: _ready(central.url) == 200, 20, "/readyz to answer 200 again")
        _wait(lambda: sender.acked() >= acked_while_down + 5, 20, "five batches acknowledged after the restart")
    finally:
        sender.stop()
        sender.join(timeout=60)
    log = sender.log
    assert not sender.is_alive() and not log.gave_up, f"batches never acknowledged: {log.gave_up}"

    # While Postgres was down: 503 with Retry-After, nothing else (no 500, no dropped connection).
    failed = [a for a in log.attempts if a.status != 200]
    assert failed, "no request met the outage: the test proved nothing"
    assert {a.status for a in failed} == {503}, [(a.status, a.error) for a in failed if a.status != 503][:5]
    assert all(a.retry_after and int(a.retry_after) >= 1 for a in failed)
    assert readyz_down == 503 and recovery < 20
    assert central.proc.poll() is None and central.proc.pid == pid, "the server had to be restarted"

    # Every acknowledged batch is stored, each event once, and nothing else is.
    stored = event_id_counts(own_pg.url, "check_results", "fault-b%")
    acked_ids = {e["event_id"] for n in log.acks for e in check_result_batch(p["site_id"], n, BATCH)["events"]}
    assert stored.keys() == acked_ids and set(stored.values()) == {1}
    # A batch is one transaction: a resend finds all of it or none of it stored before. (All of it
    # happens when Postgres committed but stopped before the answer reached the server.)
    retried = {a.batch for a in failed}
    for n, ack in log.acks.items():
        assert ack["accepted"] + ack["duplicates"] == BATCH
        assert ack["accepted"] == BATCH or (n in retried and ack["accepted"] == 0), (n, ack)
