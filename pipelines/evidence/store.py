"""Postgres side of the `evidence` group: batch new chain segments, record stamps and upgrades, read marts.

Each site's batching runs in one transaction under a per-site advisory lock, after walking the new
bundles exactly as an auditor would (`warehouse.evidence.walk`): only the part that verifies is
batched, so an anchor never vouches for a bundle that was altered or a chain with a hole in it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from contracts.evidence import GENESIS_HASH
from pipelines.evidence.transforms import BatchPlan, plan_batches
from warehouse.evidence import store
from warehouse.evidence.walk import ChainWalker
from warehouse.sql_files import sql

STAMP_LOCK = "osiris.evidence_stamps"
"""Advisory-lock name held by a run that talks to calendars, so two runs never stamp one batch twice."""


@dataclass
class SiteBatches:
    """What batching did for one site."""

    site_id: str
    walked: int = 0
    batched: int = 0
    batches: list[str] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)


async def batch_new_bundles(conn: asyncpg.Connection, max_leaves: int, max_per_site: int) -> list[SiteBatches]:
    """Walk every site's unbatched bundles and cut the part that verifies into Merkle batches."""
    done = []
    for row in await conn.fetch(sql("evidence/unbatched_sites")):
        async with conn.transaction():
            done.append(await _batch_site(conn, row["site_id"], max_leaves, max_per_site))
    return done


async def _batch_site(conn: asyncpg.Connection, site_id: uuid.UUID, max_leaves: int,
                      max_per_site: int) -> SiteBatches:
    await conn.execute(sql("evidence/batch_lock"), str(site_id))
    out = SiteBatches(str(site_id))
    first = await conn.fetchval(sql("evidence/first_unbatched"), site_id)
    if first is None:
        return out  # another run batched them while this one waited for the lock
    anchor = GENESIS_HASH if first == 0 else await conn.fetchval(sql("evidence/chain_hash_at"), site_id, first - 1)
    walker = ChainWalker(str(site_id), await store.keyring(conn, site_id), start_seq=first, anchor=anchor)
    # The head first: bundles appended while this walk runs (seq >= length) wait for the next run, so
    # the walk and the head it ends on describe one moment.
    head = await conn.fetchrow(sql("evidence/head_get"), site_id)
    length = int(head["length"])
    rows, cursor = [], first
    while len(rows) < max_per_site:
        page = await store.unbatched_page(conn, site_id, cursor, min(store.PAGE, max_per_site - len(rows)))
        page = [r for r in page if r.seq < length]
        if not page:
            walker.finish(length, head["head_hash"])
            break
        walker.feed(page)
        rows += page
        cursor = page[-1].seq + 1
    for plan in plan_batches(str(site_id), rows, walker.verified_up_to, max_leaves):
        out.batches.append(await _insert(conn, site_id, plan))
        out.batched += len(plan.leaves)
    out.walked, out.breaks = walker.checked, [b.detail for b in walker.breaks]
    await conn.execute(sql("evidence/head_checked"), site_id, walker.last.seq if walker.last else None,
                       len(walker.breaks), out.breaks[0] if out.breaks else None)
    return out


async def _insert(conn: asyncpg.Connection, site_id: uuid.UUID, plan: BatchPlan) -> str:
    batch_id = await conn.fetchval(sql("evidence/batch_insert"), site_id, plan.seqs[0], plan.seqs[-1],
                                   len(plan.leaves), plan.root, plan.leaves, plan.bundle_ids, plan.seqs)
    await conn.execute(sql("evidence/batch_assign"), batch_id, plan.bundle_ids, site_id)
    return str(batch_id)


async def try_lock(conn: asyncpg.Connection, name: str) -> bool:
    """Take a session advisory lock by name, or say another run holds it."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", name))


async def unlock(conn: asyncpg.Connection, name: str) -> None:
    """Release a lock `try_lock` took."""
    await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", name)


async def unstamped(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Batches no calendar has stamped yet, oldest first."""
    return await conn.fetch(sql("evidence/batches_unstamped"), limit)


async def stamped(conn: asyncpg.Connection, batch_id: uuid.UUID, ots: bytes, calendars: list[str],
                  error: str | None) -> None:
    """Record a batch's new proof."""
    await conn.execute(sql("evidence/batch_stamped"), batch_id, ots, calendars, error)


async def stamp_failed(conn: asyncpg.Connection, batch_id: uuid.UUID, error: str) -> None:
    """Record that no calendar stamped a batch this time."""
    await conn.execute(sql("evidence/batch_stamp_failed"), batch_id, error[:2000])


async def pending(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Stamped batches waiting for Bitcoin, longest waiting first."""
    return await conn.fetch(sql("evidence/batches_pending"), limit)


async def upgraded(conn: asyncpg.Connection, batch: asyncpg.Record, ots: bytes, status: str, height: int | None,
                   block_time: datetime | None, error: str | None) -> None:
    """Record an upgrade attempt; a confirmation is announced on the evidence stream at commit."""
    async with conn.transaction():
        await conn.execute(sql("evidence/batch_upgraded"), batch["id"], ots, status, height, block_time,
                           error[:2000] if error else None)
        if status == "confirmed":
            await store.notify(conn, {
                "type": "anchor", "site_id": str(batch["site_id"]), "batch_id": str(batch["id"]),
                "root": batch["root"], "first_seq": batch["first_seq"], "last_seq": batch["last_seq"],
                "bundles": batch["leaf_count"], "block_height": height,
                "block_time": block_time.isoformat() if block_time else None})


async def mart_rows(conn: asyncpg.Connection, name: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one mart query (`warehouse/sql/evidence/mart_<name>.sql`)."""
    return await conn.fetch(sql(f"evidence/mart_{name}"), *args)
