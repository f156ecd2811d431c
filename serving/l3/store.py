"""Escalation rows in and out: the head/repeat bookkeeping done under one per-incident lock, and views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from contracts.incidents import Severity, _safe_severity
from contracts.telemetry import EscalationRequest
from serving.errors import NotFound
from serving.l3.channels import Attempt
from warehouse.rows import _row_dict, _rows_list, _uid
from warehouse.sql_files import sql

_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


@dataclass
class Claimed:
    """What handling one new row decided: `kind` is trigger, repeat, resolve or none; `head` its head row."""

    kind: str
    head: dict[str, Any] | None


async def insert(pool: asyncpg.Pool, request: EscalationRequest, appliance_id: uuid.UUID | None) -> uuid.UUID:
    """Store a request (idempotent by event id) and return its row id."""
    rid = await pool.fetchval(
        sql("l3/insert"), request.event_id, _uid(request.site_id, "site_id"), appliance_id, request.incident_id,
        request.host, request.check_type, request.severity.value, request.reason, request.pattern_signature,
        request.details, request.resolved, request.requested_at, request.model_dump(mode="json"),
    )
    return rid or await pool.fetchval(sql("l3/id_by_event"), request.event_id)


async def get(conn: asyncpg.Pool | asyncpg.Connection, escalation_id: uuid.UUID) -> dict[str, Any]:
    """One escalation row; NotFound names the id."""
    row = await conn.fetchrow(sql("l3/get"), escalation_id)
    if row is None:
        raise NotFound("escalation", escalation_id)
    return dict(row)


async def lock(conn: asyncpg.Connection, site_id: uuid.UUID, incident_id: str) -> None:
    """Serialise work on one site's incident until the transaction ends."""
    await conn.execute(sql("l3/lock_incident"), f"{site_id}:{incident_id}")


async def claim(pool: asyncpg.Pool, escalation_id: uuid.UUID) -> Claimed:
    """Handle a new row once: make it its incident's head, fold it into the open head, or resolve that head."""
    async with pool.acquire() as conn, conn.transaction():
        row = await get(conn, escalation_id)
        await lock(conn, row["site_id"], row["incident_id"])
        claimed = await conn.fetchrow(sql("l3/claim"), escalation_id)
        if claimed is None:  # already handled (a replayed event)
            return Claimed("none", None)
        key = claimed["incident_id"]
        head = await conn.fetchrow(sql("l3/open_head"), claimed["site_id"], key, escalation_id)
        if claimed["status"] == "resolved":
            target = head or await conn.fetchrow(sql("l3/latest_head"), claimed["site_id"], key, escalation_id)
            if target is None:
                await conn.execute(sql("l3/make_head"), escalation_id, key)
                return Claimed("none", None)
            await conn.execute(sql("l3/group_into"), escalation_id, target["id"], key)
            if head is None:
                return Claimed("none", None)
            by = "appliance: " + (claimed["reason"] or "healed")
            return Claimed("resolve", _dict(await conn.fetchrow(sql("l3/resolve"), head["id"], by[:200])))
        if head is not None:
            await conn.execute(sql("l3/group_into"), escalation_id, head["id"], key)
            sev = _safe_severity(claimed["severity"])
            bumped = await conn.fetchrow(sql("l3/bump"), head["id"], claimed["requested_at"], _RANK[sev], sev.value)
            return Claimed("repeat", _dict(bumped))
        return Claimed("trigger", _dict(await conn.fetchrow(sql("l3/make_head"), escalation_id, key)))


async def open_head(pool: asyncpg.Pool, site_id: uuid.UUID, incident_id: str) -> dict[str, Any] | None:
    """The open head of a site's incident, if any."""
    return _dict(await pool.fetchrow(sql("l3/open_head"), site_id, incident_id, uuid.UUID(int=0)))


async def resolve(pool: asyncpg.Pool, head_id: uuid.UUID, by: str) -> dict[str, Any] | None:
    """Mark a head resolved; None when it already was."""
    async with pool.acquire() as conn, conn.transaction():
        head = await get(conn, head_id)
        await lock(conn, head["site_id"], head["incident_id"])
        return _dict(await conn.fetchrow(sql("l3/resolve"), head_id, by[:200]))


async def set_delivered(pool: asyncpg.Pool, head_id: uuid.UUID, status: str, accepted: list[str]) -> dict | None:
    """Record a trigger's outcome; None when the head was resolved meanwhile."""
    return _dict(await pool.fetchrow(sql("l3/set_delivered"), head_id, status, accepted))


async def record_attempt(pool: asyncpg.Pool, escalation_id: uuid.UUID, action: str, attempt: Attempt) -> None:
    """Store one delivery attempt."""
    await pool.execute(
        sql("l3/attempt_insert"), escalation_id, attempt.channel, action, attempt.attempt, attempt.ok,
        attempt.retryable, attempt.status_code, attempt.response, attempt.error, attempt.retry_after,
        round(attempt.latency_ms, 3),
    )


async def queued(pool: asyncpg.Pool, limit: int = 100) -> list[uuid.UUID]:
    """Heads waiting for a channel, oldest first."""
    return [r["id"] for r in await pool.fetch(sql("l3/queued"), limit)]


async def site_name(pool: asyncpg.Pool, site_id: uuid.UUID) -> str:
    """A site's name (its id when the site row is gone)."""
    return await pool.fetchval(sql("l3/site_name"), site_id) or str(site_id)


async def listing(pool: asyncpg.Pool, site_ids: list[uuid.UUID] | None, status: str | None,
                  limit: int, offset: int) -> list[dict[str, Any]]:
    """Escalation heads with their delivery attempts, newest first."""
    heads = _rows_list(await pool.fetch(sql("l3/list"), site_ids, status, limit, offset))
    return await with_attempts(pool, heads)


async def with_attempts(pool: asyncpg.Pool, heads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each head with its `attempts` list attached."""
    ids = [uuid.UUID(str(h["id"])) for h in heads]
    by_id: dict[str, list[dict[str, Any]]] = {str(i): [] for i in ids}
    for a in _rows_list(await pool.fetch(sql("l3/attempts"), ids)) if ids else []:
        by_id[str(a.pop("escalation_id"))].append(a)
    for h in heads:
        h["attempts"] = by_id.get(str(h["id"]), [])
    return heads


def _dict(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


def view(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready data (ids as text)."""
    return _row_dict(row)  # type: ignore[return-value]
