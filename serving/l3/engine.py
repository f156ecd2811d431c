"""The L3 escalation engine: route, deduplicate, group repeats, deliver with retries, resolve, queue.

One dedup key per incident (its id) on every channel. The first request for an incident becomes
the head and is routed by severity and site; repeats fold into it (occurrences, last seen) and only
reach channels that have not accepted it yet (a severity rise can add PagerDuty). Healing or a
person resolving it sends PagerDuty a `resolve` and the other channels a follow-up. With no channel
configured the head waits as `queued`, listed by the API, until `flush_queue` finds a channel.

Entry points other packages call: `escalate(pool, request)` (the telemetry ingest, for each
escalation event), `resolve_incident(pool, site_id, incident_id)` (a healed outcome), `resolve`
(the API), `flush_queue` (a timer).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

import asyncpg
import httpx

from contracts.incidents import _safe_severity
from contracts.telemetry import EscalationRequest
from serving.errors import Conflict
from serving.l3 import store
from serving.l3.channels import Action, Attempt, Channel, Notice
from serving.l3.delivery import RetryPolicy, Sleeper, deliver
from serving.l3.settings import L3Settings
from warehouse.rows import _uid

log = logging.getLogger("osiris.serving.l3")
DRAIN_TIMEOUT_S = 10.0
"""How long shutdown waits for deliveries in flight before cancelling them (the sweep finishes them)."""


class Engine:
    """Settings, channels and the HTTP client of one process's escalation engine."""

    def __init__(self, settings: L3Settings | None = None, *, channels: dict[str, Channel] | None = None,
                 sleep: Sleeper = asyncio.sleep, catalog: Any = None):
        self.settings = settings or L3Settings()
        self.policy = RetryPolicy.from_settings(self.settings)
        self.sleep = sleep
        self._channels: dict[str, Channel] = dict(channels or {})
        self._client: httpx.AsyncClient | None = None
        self._catalog = catalog
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run work in the background (deliveries must not hold an appliance's telemetry request)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background escalation work failed", exc_info=task.exception())

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for background work; after `timeout`, cancel what is left."""
        async def wait_all() -> None:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

        try:
            await asyncio.wait_for(wait_all(), timeout)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()

    def route(self, site_id: Any, severity: Any) -> list[str]:
        """The channels this escalation goes to."""
        return self.settings.route(str(site_id), _safe_severity(severity))

    def channel(self, name: str) -> Channel:
        """The channel by name, built on first use."""
        if name not in self._channels:
            from serving.l3.channels.build import build

            if self._client is None:
                self._client = httpx.AsyncClient(timeout=self.settings.http_timeout_s)
            self._channels[name] = build(name, self.settings, self._client)
        return self._channels[name]

    def hipaa_controls(self, check_type: str, details: dict[str, Any]) -> list[str]:
        """The HIPAA citations the check maps to (catalog), plus any the appliance named."""
        from serving.l2.catalog import CatalogUnavailable, hipaa_controls, load_runbooks

        named = details.get("hipaa_controls") if isinstance(details, dict) else None
        found = {str(c) for c in named} if isinstance(named, list) else set()
        try:
            catalog = self._catalog or load_runbooks()
            found.update(hipaa_controls(catalog, check_type))
        except CatalogUnavailable:
            pass  # the message still goes out, without the mapping
        return sorted(found)

    async def notice(self, pool: asyncpg.Pool, head: dict[str, Any], action: Action, resolution: str = "") -> Notice:
        """The notice channels render for a head row."""
        details = head.get("details") or {}
        public = self.settings.public_url
        return Notice(
            action=action, dedup_key=head["dedup_key"] or head["incident_id"], escalation_id=str(head["id"]),
            site_id=str(head["site_id"]), site_name=await store.site_name(pool, head["site_id"]),
            incident_id=head["incident_id"], host=head["host"], check_type=head["check_type"],
            severity=_safe_severity(head["severity"]), reason=head["reason"], requested_at=head["requested_at"],
            details=details, hipaa_controls=self.hipaa_controls(head["check_type"], details),
            occurrences=head["occurrences"], resolution=resolution,
            link=f"{public.rstrip('/')}/escalations/{head['id']}" if public else None,
        )

    async def send(self, pool: asyncpg.Pool | None, escalation_id: uuid.UUID | None, name: str,
                   notice: Notice) -> list[Attempt]:
        """Deliver on one channel with retries, recording every attempt (when there is a row to record on)."""
        async def record(attempt: Attempt) -> None:
            if pool is not None and escalation_id is not None:
                await store.record_attempt(pool, escalation_id, notice.action, attempt)

        return await deliver(self.channel(name), notice, self.policy, record, self.sleep)

    async def close(self) -> None:
        """Finish (or cancel) background work, then release channels and the HTTP client."""
        await self.drain(DRAIN_TIMEOUT_S)
        for ch in self._channels.values():
            await ch.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


_default: Engine | None = None


def default_engine() -> Engine:
    """The process-wide engine, configured from the environment on first use."""
    global _default
    if _default is None:
        _default = Engine()
    return _default


async def _trigger(pool: asyncpg.Pool, engine: Engine, head: dict[str, Any], channels: list[str]) -> dict:
    if not channels:
        return await store.set_delivered(pool, head["id"], "queued", []) or head
    notice = await engine.notice(pool, head, "trigger")
    results = await asyncio.gather(*(engine.send(pool, head["id"], name, notice) for name in channels))
    accepted = [name for name, attempts in zip(channels, results, strict=True) if attempts and attempts[-1].ok]
    updated = await store.set_delivered(pool, head["id"], "notified" if accepted else "failed", accepted)
    if updated is None:
        # Resolved while the trigger was on its way: close what was just opened.
        resolved = await store.get(pool, head["id"])
        await _close_out(pool, engine, {**resolved, "channels": accepted})
        return resolved
    return updated


async def _close_out(pool: asyncpg.Pool, engine: Engine, head: dict[str, Any]) -> None:
    """PagerDuty gets `resolve`; the other channels that were told get a follow-up saying so."""
    by = head.get("resolved_by") or "resolved"
    resolution = "healed on the appliance: the check passes again" if by.startswith("appliance") else f"resolved by {by}"
    sends = []
    for name in head.get("channels") or []:
        action: Action = "resolve" if name == "pagerduty" else "followup"
        notice = await engine.notice(pool, head, action, resolution)
        sends.append(engine.send(pool, head["id"], name, notice))
    await asyncio.gather(*sends)


async def process(pool: asyncpg.Pool, escalation_id: uuid.UUID, engine: Engine | None = None) -> dict[str, Any]:
    """Handle one stored request (once): trigger, fold into its head, or resolve; returns the head's view."""
    engine = engine or default_engine()
    claimed = await store.claim(pool, escalation_id)
    head = claimed.head
    if claimed.kind == "trigger":
        head = await _trigger(pool, engine, head, engine.route(head["site_id"], head["severity"]))
    elif claimed.kind == "repeat":
        pending = [c for c in engine.route(head["site_id"], head["severity"]) if c not in (head["channels"] or [])]
        if pending or head["status"] == "queued":
            head = await _trigger(pool, engine, head, pending)
    elif claimed.kind == "resolve":
        await _close_out(pool, engine, head)
    if head is None:
        row = await store.get(pool, escalation_id)
        head = await store.get(pool, row["grouped_into"]) if row["grouped_into"] else row
    return (await store.with_attempts(pool, [store.view(head)]))[0]


async def escalate(pool: asyncpg.Pool, request: EscalationRequest, *, appliance_id: uuid.UUID | None = None,
                   engine: Engine | None = None) -> dict[str, Any]:
    """Store an escalation request (idempotent by event id) and handle it; returns its head's view."""
    rid = await store.insert(pool, request, appliance_id)
    return await process(pool, rid, engine)


async def resolve(pool: asyncpg.Pool, escalation_id: uuid.UUID | str, *, by: str,
                  engine: Engine | None = None) -> dict[str, Any]:
    """A person resolves an escalation (or one of its repeats): close it on every channel told."""
    engine = engine or default_engine()
    row = await store.get(pool, _uid(escalation_id, "escalation_id"))
    head_id = row["grouped_into"] or row["id"]
    resolved = await store.resolve(pool, head_id, by)
    if resolved is None:
        raise Conflict(f"escalation {head_id} is already resolved")
    await _close_out(pool, engine, resolved)
    return (await store.with_attempts(pool, [store.view(resolved)]))[0]


async def resolve_incident(pool: asyncpg.Pool, site_id: uuid.UUID | str, incident_id: str, *,
                           by: str = "appliance: healed", engine: Engine | None = None) -> dict[str, Any] | None:
    """Resolve a site's incident's open escalation, if any (a healed outcome arrived)."""
    engine = engine or default_engine()
    head = await store.open_head(pool, _uid(site_id, "site_id"), incident_id)
    if head is None:
        return None
    resolved = await store.resolve(pool, head["id"], by)
    if resolved is None:
        return None
    await _close_out(pool, engine, resolved)
    return store.view(resolved)


async def redeliver(pool: asyncpg.Pool, engine: Engine, head: dict[str, Any]) -> dict[str, Any]:
    """Trigger a head again on the channels it is routed to that have not accepted it."""
    channels = [c for c in engine.route(head["site_id"], head["severity"]) if c not in (head["channels"] or [])]
    return await _trigger(pool, engine, head, channels)


async def flush_queue(pool: asyncpg.Pool, engine: Engine | None = None, limit: int = 100) -> int:
    """Deliver queued heads that now have a channel; returns how many were sent."""
    engine = engine or default_engine()
    if not engine.settings.configured():
        return 0
    sent = 0
    for head_id in await store.queued(pool, limit):
        head = await store.get(pool, head_id)
        channels = engine.route(head["site_id"], head["severity"])
        if channels:
            await _trigger(pool, engine, head, channels)
            sent += 1
    return sent
