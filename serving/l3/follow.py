"""L3 following telemetry: the ingest hook that escalates and resolves, and the sweep that recovers.

Appliances' escalation events are stored by the telemetry ingest (one transaction, one COPY); after
its commit, `on_ingest` hands the new ones to the engine in the background, together with every
incident a new healing outcome verifiably healed (which resolves its escalation). If the process
dies in between, `sweep` finds the rows nobody handled, and queued ones that now have a channel.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from contracts.telemetry import EventKind
from serving.l3 import engine as l3
from serving.l3 import store
from serving.services.telemetry import Ingested, IngestHook
from warehouse.sql_files import sql

UNCLAIMED_AFTER_S = 60.0
"""A row still unhandled this long after it arrived was missed (its hook never ran)."""


async def handle(pool: asyncpg.Pool, engine: l3.Engine, escalation_events: list[str],
                 outcome_events: list[str]) -> None:
    """Escalate the new escalation events, then resolve what the new outcomes healed (in that order)."""
    if escalation_events:
        for row in await pool.fetch(sql("l3/ids_by_events"), escalation_events):
            await l3.process(pool, row["id"], engine)
    if outcome_events:
        for row in await pool.fetch(sql("l3/healed_by_events"), outcome_events):
            await l3.resolve_incident(pool, row["site_id"], row["incident_id"], engine=engine)


def make_hook(get_engine: Callable[[], l3.Engine]) -> IngestHook:
    """The telemetry ingest hook; `get_engine` is read per batch, so a test may swap the engine."""

    async def on_ingest(pool: asyncpg.Pool, ingested: Ingested) -> None:
        escalations = ingested.new_event_ids.get(EventKind.ESCALATION, [])
        outcomes = ingested.new_event_ids.get(EventKind.HEALING_OUTCOME, [])
        if escalations or outcomes:
            engine = get_engine()
            engine.spawn(handle(pool, engine, escalations, outcomes))

    return on_ingest


async def sweep(pool: asyncpg.Pool, engine: l3.Engine, limit: int = 100) -> int:
    """Handle missed rows, re-deliver heads stuck after their claim, flush the queue; returns rows handled."""
    stuck_after = engine.settings.max_total_wait_s * 2 + 60  # well past any retry still in flight
    done = 0
    for row in await pool.fetch(sql("l3/unhandled"), UNCLAIMED_AFTER_S, stuck_after, limit):
        if row["unclaimed"]:
            await l3.process(pool, row["id"], engine)
        else:
            head = await store.get(pool, row["id"])
            await l3.redeliver(pool, engine, head)
        done += 1
    return done + await l3.flush_queue(pool, engine, limit)
