"""Store-and-forward telemetry: a bounded, ordered, idempotent outbox drained in batches with backoff.

Events are written to SQLite in the same transaction as the state they describe, and deleted only
after Central Command acknowledged the batch holding them. A batch resent after a lost answer adds
nothing there (event ids are unique), so delivery is exactly-once in effect. Near the limit the
outbox sheds routine check results first; at the limit it refuses everything and raises the alarm
(the healer then pauses: no action without a record of it); `status()["full"]` is the alarm.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from agent.errors import CentralError, CentralRejectedError, OutboxFullError, StoreError
from agent.sql import sql
from agent.store import Store
from contracts.telemetry import TelemetryAck, TelemetryEvent

log = logging.getLogger(__name__)

SHED_RATIO = 0.9
"""Above this share of the limit, sheddable events (routine check results) are dropped and counted."""


@dataclass(frozen=True)
class OutboxItem:
    """One queued event."""

    seq: int
    event_id: str
    kind: str
    event: str  # the TelemetryEvent as JSON text


@dataclass
class FlushResult:
    """What one flush did."""

    sent: int = 0
    batches: int = 0
    dead_lettered: int = 0
    skipped_backoff: bool = False
    error: str | None = None
    duplicates: int = 0
    sent_ids: list[str] = field(default_factory=list)


class Outbox:
    """The telemetry outbox on top of the agent store."""

    def __init__(
        self,
        store: Store,
        *,
        max_events: int = 100_000,
        backoff_base: float = 2.0,
        backoff_max: float = 300.0,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.max_events = max_events
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        self._alarmed = False

    # --- writing ----------------------------------------------------------------------------------

    def depth(self) -> int:
        """How many events wait to be sent."""
        with self.store._lock:
            return self.store.conn.execute(sql("outbox_count")).fetchone()[0]

    def add(self, events: Iterable[TelemetryEvent], *, sheddable: bool = False) -> int:
        """Queue events (joining the caller's transaction); returns how many were queued.

        Raises OutboxFullError when the outbox is at its limit; sheddable events are dropped (and
        counted) once it is past SHED_RATIO of the limit instead.
        """
        events = list(events)
        if not events:
            return 0
        with self.store.transaction() as conn:
            depth = conn.execute(sql("outbox_count")).fetchone()[0]
            if sheddable and depth + len(events) > self.max_events * SHED_RATIO:
                shed = int(self.store.get("outbox_shed", "0") or 0) + len(events)
                self.store.put("outbox_shed", str(shed))
                return 0
            if depth + len(events) > self.max_events:
                if not self._alarmed:
                    self._alarmed = True
                    log.error(
                        "ALARM outbox full: %d events waiting (limit %d); healing pauses until Central "
                        "Command takes them", depth, self.max_events,
                    )
                raise OutboxFullError(f"telemetry outbox full ({depth} of {self.max_events} events)")
            now = time.time()
            for ev in events:
                conn.execute(
                    sql("outbox_insert"), (ev.event_id, ev.kind.value, ev.model_dump_json(), now)
                )
                log.debug("outbox queued %s %s", ev.kind.value, ev.event_id)
        return len(events)

    def peek(self, limit: int) -> list[OutboxItem]:
        """The oldest events, up to a limit."""
        with self.store._lock:
            rows = self.store.conn.execute(sql("outbox_batch"), (limit,)).fetchall()
        return [OutboxItem(r[0], r[1], r[2], r[3]) for r in rows]

    def ack(self, items: Sequence[OutboxItem]) -> None:
        """Delete events Central Command acknowledged."""
        with self.store.transaction() as conn:
            conn.executemany(sql("outbox_delete"), [(i.seq,) for i in items])
        if self._alarmed and self.depth() < self.max_events:
            self._alarmed = False
            log.warning("outbox below its limit again: alarm cleared")

    def dead_letter(self, item: OutboxItem, reason: str) -> None:
        """Move one event Central Command refused as invalid out of the queue, keeping it for a person."""
        with self.store.transaction() as conn:
            conn.execute(sql("dead_letter_insert"), (item.event_id, item.kind, item.event, reason[:2000], time.time()))
            conn.execute(sql("outbox_delete"), (item.seq,))
        log.error("outbox event %s (%s) refused by Central Command and set aside: %s", item.event_id, item.kind, reason)

    # --- sending ----------------------------------------------------------------------------------

    def flush(
        self,
        send: Callable[[list[dict]], TelemetryAck],
        *,
        batch_size: int = 500,
        now: float | None = None,
        force: bool = False,
    ) -> FlushResult:
        """Send every queued event, oldest first, in batches; back off after a failure."""
        result = FlushResult()
        moment = time.time() if now is None else now
        next_attempt = float(self.store.get("outbox_next_attempt", "0") or 0)
        if not force and moment < next_attempt:
            result.skipped_backoff = True
            return result
        size = batch_size
        while True:
            items = self.peek(size)
            if not items:
                break
            try:
                ack = send([json.loads(i.event) for i in items])
            except CentralRejectedError as exc:
                # One bad event must not block the queue: halve until it is alone, then set it aside.
                if len(items) == 1:
                    self.dead_letter(items[0], str(exc))
                    result.dead_lettered += 1
                    size = batch_size
                else:
                    size = max(1, len(items) // 2)
                continue
            except CentralError as exc:
                self._failed(moment, str(exc))
                result.error = str(exc)
                return result
            self.ack(items)
            result.sent += len(items)
            result.batches += 1
            result.duplicates += ack.duplicates
            result.sent_ids.extend(i.event_id for i in items)
        self._succeeded()
        return result

    def _failed(self, moment: float, reason: str) -> None:
        failures = int(self.store.get("outbox_failures", "0") or 0) + 1
        delay = min(self.backoff_max, self.backoff_base * (2 ** min(failures - 1, 20)))
        delay *= self._rng.uniform(0.5, 1.0)  # jitter: a fleet must not retry in lockstep
        with self.store.transaction():
            self.store.put("outbox_failures", str(failures))
            self.store.put("outbox_next_attempt", str(moment + delay))
        log.warning("telemetry flush failed (%s); retry in %.1f s (attempt %d)", reason, delay, failures)

    def _succeeded(self) -> None:
        if self.store.get("outbox_failures") is not None:
            with self.store.transaction():
                self.store.delete("outbox_failures")
                self.store.delete("outbox_next_attempt")

    # --- status -----------------------------------------------------------------------------------

    def status(self) -> dict:
        """Depth, limit, alarm and age of the oldest event, for `osiris agent status`."""
        try:
            with self.store._lock:
                oldest = self.store.conn.execute(sql("outbox_oldest")).fetchone()[0]
                dead = self.store.conn.execute(sql("dead_letter_count")).fetchone()[0]
        except sqlite3.Error as exc:
            raise StoreError(f"outbox status: {exc}") from exc
        depth = self.depth()
        return {
            "depth": depth,
            "max_events": self.max_events,
            "full": depth >= self.max_events,
            "oldest_age_seconds": round(time.time() - oldest, 1) if oldest else None,
            "shed_check_results": int(self.store.get("outbox_shed", "0") or 0),
            "dead_letters": dead,
            "next_attempt": float(self.store.get("outbox_next_attempt", "0") or 0) or None,
        }
