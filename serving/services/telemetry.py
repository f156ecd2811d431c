"""Telemetry ingest: one batch, one transaction, one COPY, then one merge per event kind.

The batch is COPYed into a temporary staging table and merged into each kind's table with
`INSERT … SELECT … ON CONFLICT DO NOTHING`, so a replayed batch adds nothing and the answer says
how many events were new. The site comes from the API key, never from the payload: an event that
names another site refuses the whole batch.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from pydantic_core import PydanticSerializationError

from contracts.telemetry import PAYLOAD_MODELS, EventKind, TelemetryAck, TelemetryEvent
from serving.errors import BadRequest, Forbidden, NotFound
from serving.services import evidence
from serving.services.auth import ApplianceIdentity
from warehouse.sql_files import sql

TABLES: dict[EventKind, str] = {
    EventKind.INCIDENT: "incidents",
    EventKind.L2_DECISION: "l2_decisions",
    EventKind.HEALING_OUTCOME: "healing_outcomes",
    EventKind.CHECK_RESULT: "check_results",
    EventKind.DEVICE_SCAN: "device_scans",
    EventKind.SOFTWARE_INVENTORY: "software_inventory",
    EventKind.EVIDENCE_BUNDLE: "evidence_bundles",
    EventKind.SHADOW_MATCH: "shadow_matches",
    EventKind.ESCALATION: "escalations",
    EventKind.ORDER_RESULT: "order_results",
}
"""Where each kind of event lands (order results also finish their orders)."""

IngestMode = Literal["copy", "insert"]
log = logging.getLogger("osiris.serving")


def _claimed_site(payload: dict[str, Any]) -> Any:
    # Only evidence arrives untyped (its signed bytes must stay as sent): its site is inside the bundle.
    inner = payload.get("bundle")
    return inner.get("site_id") if isinstance(inner, dict) else payload.get("site_id")


def _same_site(claimed: Any, site_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(str(claimed)) == site_id
    except ValueError:
        return False


def normalise(appliance: ApplianceIdentity, events: Sequence[TelemetryEvent]) -> list[tuple[str, str, Any]]:
    """(event_id, kind, payload JSON text) rows with defaults filled in; Forbidden if any names another site."""
    rows = []
    for ev in events:
        model = PAYLOAD_MODELS.get(ev.kind)
        if model is not None:
            parsed = model.model_validate(ev.payload)
            # pydantic writes the JSON text itself: no intermediate dict, no json.dumps.
            try:
                claimed, payload = getattr(parsed, "site_id", None), parsed.model_dump_json()
            except PydanticSerializationError:
                # Free-form facts may hold an unpaired surrogate (a JSON "\ud800" escape decodes to
                # one); it has no UTF-8 form, so the text cannot be stored.
                raise BadRequest(f"event {ev.event_id}: payload text holds an unpaired surrogate") from None
        else:
            claimed, payload = _claimed_site(ev.payload), json.dumps(ev.payload)
        if claimed is None:
            raise BadRequest(f"event {ev.event_id}: {ev.kind.value} payload names no site_id")
        if not _same_site(claimed, appliance.site_id):
            raise Forbidden(
                f"event {ev.event_id} names site {str(claimed)[:64]!r}; this appliance reports for "
                f"site {appliance.site_id} only"
            )
        rows.append((ev.event_id, ev.kind.value, payload))
    return rows


async def _check_orders(conn: asyncpg.Connection, appliance: ApplianceIdentity, rows: list) -> None:
    wanted: dict[uuid.UUID, str] = {}
    for event_id, kind, payload in rows:
        if kind == EventKind.ORDER_RESULT.value:
            try:
                wanted[uuid.UUID(str(json.loads(payload)["order_id"]))] = event_id
            except ValueError:
                raise BadRequest(f"event {event_id}: order_id is not a valid UUID") from None
    if not wanted:
        return
    owned = {r["id"] for r in await conn.fetch(sql("serving/telemetry/order_owned"), list(wanted), appliance.id)}
    for oid in wanted.keys() - owned:
        # Another appliance's order reads as missing, as it does on the order routes.
        raise NotFound("order", oid)


async def _after_merge(conn: asyncpg.Connection, appliance: ApplianceIdentity, rows: list) -> None:
    kinds = {kind for _, kind, _ in rows}
    if EventKind.ORDER_RESULT.value in kinds:
        ids = [e for e, k, _ in rows if k == EventKind.ORDER_RESULT.value]
        await conn.execute(sql("serving/telemetry/order_results_apply"), ids, appliance.id)
    if EventKind.DEVICE_SCAN.value in kinds:
        ids = [e for e, k, _ in rows if k == EventKind.DEVICE_SCAN.value]
        await conn.execute(sql("serving/telemetry/devices_from_scans"), ids, appliance.site_id)


async def _merge_copy(conn: asyncpg.Connection, appliance: ApplianceIdentity, rows: list) -> dict[str, list[str]]:
    await conn.execute(sql("serving/telemetry/stage_create"))
    await conn.copy_records_to_table("telemetry_stage", records=rows, columns=["event_id", "kind", "payload"])
    await conn.execute(sql("serving/telemetry/lock"))
    new: dict[str, list[str]] = {}
    prefix = sql("serving/telemetry/source_stage")
    for kind in sorted({k for _, k, _ in rows}):
        merge = prefix + sql(f"serving/telemetry/{TABLES[EventKind(kind)]}")
        new[kind] = [r[0] for r in await conn.fetch(merge, appliance.site_id, appliance.id, kind)]
    return new


async def _merge_rows(conn: asyncpg.Connection, appliance: ApplianceIdentity, rows: list) -> dict[str, list[str]]:
    await conn.execute(sql("serving/telemetry/lock"))
    new: dict[str, list[str]] = {}
    prefix = sql("serving/telemetry/source_row")
    for event_id, kind, payload in rows:
        merge = prefix + sql(f"serving/telemetry/{TABLES[EventKind(kind)]}")
        if await conn.fetchval(merge, appliance.site_id, appliance.id, event_id, payload) is not None:
            new.setdefault(kind, []).append(event_id)
    return new


@dataclass(frozen=True)
class Ingested:
    """What one committed batch added: the appliance, and the new (not duplicate) event ids by kind."""

    appliance: ApplianceIdentity
    new_event_ids: dict[EventKind, list[str]]


IngestHook = Callable[[asyncpg.Pool, Ingested], Awaitable[None]]
_hooks: list[IngestHook] = []


def add_hook(hook: IngestHook) -> IngestHook:
    """Call `hook(pool, ingested)` after every committed batch that added events (L3 escalates from it)."""
    _hooks.append(hook)
    return hook


def remove_hook(hook: IngestHook) -> None:
    """Stop calling a hook (a lifespan that added one removes it on the way out)."""
    if hook in _hooks:
        _hooks.remove(hook)


async def _run_hooks(pool: asyncpg.Pool, ingested: Ingested) -> None:
    for hook in list(_hooks):
        try:
            await hook(pool, ingested)
        except Exception:  # noqa: BLE001 - the batch is committed; a follower's failure must not undo the answer
            log.exception("telemetry ingest hook %r failed", getattr(hook, "__name__", hook))


async def ingest(
    pool: asyncpg.Pool,
    appliance: ApplianceIdentity,
    events: Sequence[TelemetryEvent],
    *,
    mode: IngestMode = "copy",
) -> TelemetryAck:
    """Store a batch idempotently by event id; returns how many events were new and how many were not.

    After the commit, registered hooks (`add_hook`) learn which events were new. `mode="insert"`
    stores one row per statement: the benchmark's baseline, not for production use.
    """
    if not events:
        return TelemetryAck(accepted=0, duplicates=0)
    rows = normalise(appliance, events)
    verified = await evidence.verify_batch(appliance, rows)  # a bundle that does not verify refuses the batch
    async with pool.acquire() as conn, conn.transaction():
        await _check_orders(conn, appliance, rows)
        merge = _merge_copy if mode == "copy" else _merge_rows
        new = await merge(conn, appliance, rows)
        await _after_merge(conn, appliance, rows)
        await evidence.append(conn, appliance, verified)  # chained per site before the commit
    accepted = sum(len(ids) for ids in new.values())
    if _hooks and accepted:
        await _run_hooks(pool, Ingested(appliance, {EventKind(k): ids for k, ids in new.items() if ids}))
    return TelemetryAck(accepted=accepted, duplicates=len(rows) - accepted)
