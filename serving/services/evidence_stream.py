"""The live evidence stream: Postgres NOTIFY on `store.CHANNEL` fanned out to WebSocket subscribers.

Ingest announces new bundles and the pipelines announce confirmed anchors with `pg_notify`, which
Postgres delivers at commit to every listening server, so any Central Command process (behind a load
balancer, or the Dagster run in another process) reaches every subscriber. The hub listens only
while someone subscribes, on one pooled connection, and reconnects when that connection drops.
A subscriber that cannot keep up is told so and dropped rather than silently missing evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from warehouse.evidence.store import CHANNEL
from warehouse.sql_files import sql

log = logging.getLogger("osiris.serving.evidence")

MAX_LISTED = 2000
"""Bundles announced one by one per notification; a larger append is announced as a summary."""
QUEUE_SIZE = 4096
"""Messages a subscriber may fall behind by before it is dropped."""
_RECONNECT_S = 1.0
LAGGED = {"type": "lagged", "detail": "this subscriber fell behind and was dropped; reconnect and re-read "
                                      "/api/sites/{site_id}/evidence/chain"}


@dataclass(eq=False)
class Subscriber:
    """One WebSocket's queue; `site_id` None receives every site."""

    site_id: str | None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message, or mark the subscriber dropped when it is too far behind."""
        if self.dropped or (self.site_id is not None and message.get("site_id") != self.site_id):
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # make room for the one message that explains the drop
            self.queue.put_nowait(LAGGED)


class EvidenceHub:
    """Subscribers and the one listener that feeds them."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        self.subscribers: set[Subscriber] = set()
        self._payloads: asyncio.Queue[str] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def subscribe(self, site_id: uuid.UUID | None) -> Subscriber:
        """Add a subscriber; returns once the listener is live, so nothing committed after this is missed."""
        sub = Subscriber(str(site_id) if site_id else None)
        self.subscribers.add(sub)
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._fan_out())]
        await asyncio.wait_for(self._listening.wait(), timeout=30)
        return sub

    async def unsubscribe(self, sub: Subscriber) -> None:
        """Remove a subscriber; the listener stops with the last one."""
        self.subscribers.discard(sub)
        if not self.subscribers:
            await self.close()

    def publish(self, message: dict[str, Any]) -> None:
        """Give a message to every subscriber it concerns."""
        for sub in list(self.subscribers):
            sub.offer(message)

    async def close(self) -> None:
        """Stop listening."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _listen(self) -> None:
        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            self._payloads.put_nowait(payload)

        while True:
            lost = asyncio.Event()
            try:
                async with self.pool.acquire() as conn:
                    conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                    await conn.add_listener(CHANNEL, on_notify)
                    self._listening.set()
                    try:
                        await lost.wait()
                    finally:
                        self._listening.clear()
                        if not conn.is_closed():
                            await conn.remove_listener(CHANNEL, on_notify)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database went away: keep trying, subscribers wait
                log.warning("evidence stream lost its database listener; reconnecting", exc_info=True)
            await asyncio.sleep(_RECONNECT_S)

    async def _fan_out(self) -> None:
        while True:
            payload = await self._payloads.get()
            try:
                for message in await self._expand(json.loads(payload)):
                    self.publish(message)
            except Exception:  # noqa: BLE001 - one bad notification must not end the stream
                log.exception("evidence stream could not announce %s", payload[:200])

    async def _expand(self, note: dict[str, Any]) -> list[dict[str, Any]]:
        if note.get("type") != "bundles":
            return [note]
        site = uuid.UUID(note["site_id"])
        rows = await self.pool.fetch(sql("evidence/stream_bundles"), site, note["from_seq"], note["to_seq"],
                                     MAX_LISTED)
        messages = [bundle_message(note["site_id"], row) for row in rows]
        total = note["to_seq"] - note["from_seq"] + 1
        if total > len(rows):
            messages.append({"type": "bundles", "site_id": note["site_id"], "from_seq": note["from_seq"],
                             "to_seq": note["to_seq"], "count": total, "listed": len(rows),
                             "head_hash": note.get("head_hash")})
        return messages


def bundle_message(site_id: str, row: Any) -> dict[str, Any]:
    """The stream's announcement of one chained bundle."""
    return {
        "type": "bundle", "site_id": site_id, "seq": row["chain_seq"], "bundle_id": row["bundle_id"],
        "appliance_id": str(row["appliance_id"]) if row["appliance_id"] else None, "kind": row["kind"],
        "check_type": row["check_type"], "target": row["target"], "result": row["result"],
        "bundle_hash": row["bundle_hash"], "chain_hash": row["chain_hash"],
        "created_at": row["created_at"].isoformat() if row["created_at"] else None,
        "received_at": row["received_at"].isoformat() if row["received_at"] else None,
    }
