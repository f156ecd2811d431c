"""Helpers for faults on Central Command's side: a telemetry sender that retries numbered batches,
and event-id counts read straight from Postgres.

The sender is what a careful client does: it resends the same batch (same event ids) after any
failure until Central Command acknowledges it, so the test can check that nothing acknowledged is
lost and nothing retried is stored twice.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

import asyncpg
import httpx


def check_result_batch(site_id: str, number: int, size: int) -> dict:
    """Batch `number` of `size` check results; event ids name the batch and position, so a resend is identical."""
    events = []
    for i in range(size):
        event_id = f"fault-b{number:05d}-e{i:03d}"
        events.append({"event_id": event_id, "kind": "check_result", "payload": {
            "event_id": event_id, "site_id": site_id, "host": f"pc-{i % 7}", "check_type": "firewall_status",
            "platform": "windows", "status": "pass" if i % 3 else "fail"}})
    return {"events": events}


@dataclass
class Attempt:
    """One POST of one batch: the status (None: no HTTP answer) and the Retry-After it carried."""

    batch: int
    status: int | None
    retry_after: str | None
    at: float
    error: str = ""


@dataclass
class SenderLog:
    """Everything a sender saw."""

    attempts: list[Attempt] = field(default_factory=list)
    acks: dict[int, dict] = field(default_factory=dict)
    gave_up: list[int] = field(default_factory=list)


class NumberedSender(threading.Thread):
    """Posts batch 0, 1, 2, ... in a loop; each is resent until acknowledged (or `give_up_after` s)."""

    def __init__(self, base_url: str, api_key: str, site_id: str, *, size: int = 25, retry_pause: float = 0.05,
                 give_up_after: float = 40.0):
        super().__init__(daemon=True)
        self.base_url, self.api_key, self.site_id = base_url, api_key, site_id
        self.size, self.retry_pause, self.give_up_after = size, retry_pause, give_up_after
        self.log = SenderLog()
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Finish the batch in flight (acknowledged or given up), then stop."""
        self._halt.set()

    def acked(self) -> int:
        """How many batches are acknowledged so far."""
        with self._lock:
            return len(self.log.acks)

    def failures_since(self, moment: float) -> list[Attempt]:
        """Attempts after `moment` that were not acknowledged."""
        with self._lock:
            return [a for a in self.log.attempts if a.at >= moment and a.status != 200]

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=10) as client:
            number = 0
            while not self._halt.is_set():
                self._deliver(client, number)
                number += 1

    def _deliver(self, client: httpx.Client, number: int) -> None:
        body = check_result_batch(self.site_id, number, self.size)
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            try:
                response = client.post("/api/agent/telemetry", json=body)
            except httpx.TransportError as exc:
                self._record(Attempt(number, None, None, time.monotonic(), f"{type(exc).__name__}: {exc}"))
            else:
                self._record(Attempt(number, response.status_code, response.headers.get("Retry-After"),
                                     time.monotonic(), "" if response.status_code == 200 else response.text[:200]))
                if response.status_code == 200:
                    with self._lock:
                        self.log.acks[number] = response.json()
                    return
            # A real agent honours Retry-After with backoff; the test retries fast to see the whole outage.
            time.sleep(self.retry_pause)
        with self._lock:
            self.log.gave_up.append(number)

    def _record(self, attempt: Attempt) -> None:
        with self._lock:
            self.log.attempts.append(attempt)


TABLES = {"incident": "incidents", "l2_decision": "l2_decisions", "healing_outcome": "healing_outcomes",
          "check_result": "check_results", "shadow_match": "shadow_matches", "escalation": "escalations",
          "order_result": "order_results", "evidence_bundle": "evidence_bundles"}
"""The tables an agent's events land in, by event kind."""


def recording(agent) -> set[tuple[str, str]]:
    """Every (kind, event id) the agent queues in its outbox from now on."""
    queued: set[tuple[str, str]] = set()
    add = agent.outbox.add

    def spy(events, **kw):
        events = list(events)
        n = add(events, **kw)
        if n:
            queued.update((e.kind.value, e.event_id) for e in events)
        return n

    agent.outbox.add = spy
    return queued


def event_ids_by_kind(pg_url: str) -> dict[str, list[str]]:
    """Every stored event id per kind (a list: an id stored twice shows twice)."""

    async def fetch() -> dict[str, list[str]]:
        conn = await asyncpg.connect(pg_url)
        try:
            return {kind: [r[0] for r in await conn.fetch(f"SELECT event_id FROM {table} WHERE event_id IS NOT NULL")]
                    for kind, table in TABLES.items()}
        finally:
            await conn.close()

    return _in_thread(fetch())


def event_id_counts(pg_url: str, table: str, like: str = "%") -> dict[str, int]:
    """event_id → how many rows hold it, in one telemetry table."""

    async def fetch() -> dict[str, int]:
        conn = await asyncpg.connect(pg_url)
        try:
            rows = await conn.fetch(
                f"SELECT event_id, count(*) AS n FROM {table} WHERE event_id LIKE $1 GROUP BY event_id", like)
            return {r["event_id"]: r["n"] for r in rows}
        finally:
            await conn.close()

    return _in_thread(fetch())


def _in_thread(coro):
    """Run a coroutine on a private loop in another thread (pytest-asyncio owns this thread's loop)."""
    out: dict = {}

    def target() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]
