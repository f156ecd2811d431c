"""The evidence chain as Central Command stores it in Postgres: read, walk (verify) and export a site's chain.

Serving (the chain status route), the pipelines and `osiris evidence export` share these reads; the
writes that build the chain live with the code that owns each step (ingest chains, the pipelines
batch and stamp). Queries are the named files under `warehouse/sql/evidence/`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import nacl.exceptions
import nacl.signing

from contracts.errors import EvidenceError
from contracts.evidence import GENESIS_HASH, ChainedEvidence, evidence_key_id, parse_signed
from warehouse.evidence.errors import PackageError
from warehouse.evidence.package import ApplianceKey, BatchRecord, write_package
from warehouse.evidence.walk import ChainRow, ChainWalker
from warehouse.sql_files import sql

CHANNEL = "osiris_evidence"
"""The Postgres NOTIFY channel new bundles (ingest) and confirmed anchors (pipelines) are announced on."""
PAGE = 2000
"""Rows fetched (and verified off the event loop) at a time."""
MAX_BREAKS = 100
"""Breaks listed in a walk's answer; `break_count` still counts every one."""
_NAMED_GAP_SEQS = 20


async def notify(conn: asyncpg.Connection, message: dict[str, Any]) -> None:
    """Announce evidence on `CHANNEL`; Postgres delivers it when the caller's transaction commits."""
    await conn.execute(sql("evidence/notify"), CHANNEL, json.dumps(message, separators=(",", ":"), default=str))


async def keyring(conn: asyncpg.Connection | asyncpg.Pool, site_id: uuid.UUID) -> dict[str, tuple[str, Any]]:
    """{key id: (appliance id, VerifyKey)} for every evidence key the site's appliances registered or used."""
    ring: dict[str, tuple[str, Any]] = {}
    for row in await conn.fetch(sql("evidence/site_keys"), site_id):
        try:
            key = nacl.signing.VerifyKey(bytes(row["public_key"]))
        except (nacl.exceptions.CryptoError, TypeError, ValueError):
            continue  # a column constraint keeps these 32 bytes; a key that still fails verifies nothing
        ring[evidence_key_id(key)] = (str(row["appliance_id"]), key)
    return ring


async def chain_page(conn: asyncpg.Connection | asyncpg.Pool, site_id: uuid.UUID, from_seq: int,
                     limit: int) -> list[ChainRow]:
    """Up to `limit` stored entries of the site's chain from `from_seq` on, in seq order."""
    return _rows(await conn.fetch(sql("evidence/chain_page"), site_id, from_seq, limit))


def _rows(rows: list[asyncpg.Record]) -> list[ChainRow]:
    return [ChainRow(seq=int(r["chain_seq"]), bundle_id=r["bundle_id"],
                     appliance_id=str(r["appliance_id"]) if r["appliance_id"] else None,
                     prev_hash=r["prev_hash"], chain_hash=r["chain_hash"], signed=r["signed"]) for r in rows]


async def unbatched_page(conn: asyncpg.Connection | asyncpg.Pool, site_id: uuid.UUID, from_seq: int,
                         limit: int) -> list[ChainRow]:
    """Up to `limit` chained entries of the site not yet in a Merkle batch, from `from_seq` on."""
    return _rows(await conn.fetch(sql("evidence/unbatched_page"), site_id, from_seq, limit))


async def walk(conn: asyncpg.Connection | asyncpg.Pool, site_id: uuid.UUID, *, from_seq: int = 0,
               limit: int | None = None) -> dict[str, Any]:
    """Verify the site's stored chain from `from_seq` (up to `limit` entries) and say where it breaks.

    The answer: `length` and `head_hash` (what the head row records), `checked`, `complete` (the walk
    reached the head), `intact`, `verified_up_to` (every entry up to this seq holds), and `breaks`
    each naming the bundle where it shows; a gap also names the missing bundles its batch recorded.
    """
    head = await conn.fetchrow(sql("evidence/head_get"), site_id)
    length = int(head["length"]) if head else 0
    anchor = GENESIS_HASH if from_seq == 0 else await conn.fetchval(sql("evidence/chain_hash_at"), site_id,
                                                                       from_seq - 1)
    walker = ChainWalker(str(site_id), await keyring(conn, site_id), start_seq=from_seq, anchor=anchor)
    budget = limit if limit is not None else max(length - from_seq, 0) + PAGE
    cursor, reached_end = from_seq, False
    while budget > 0:
        rows = await chain_page(conn, site_id, cursor, min(PAGE, budget))
        if not rows:
            reached_end = True
            break
        await asyncio.to_thread(walker.feed, rows)
        cursor, budget = rows[-1].seq + 1, budget - len(rows)
    if reached_end or walker.expected >= length:
        walker.finish(length, head["head_hash"] if head else None)
        reached_end = True
    breaks = [b.model_dump() for b in walker.breaks[:MAX_BREAKS]]
    for gap in walker.gaps:
        if gap.break_index < len(breaks):
            breaks[gap.break_index]["missing"] = await _missing(conn, site_id, gap.first, gap.last)
    counts = await conn.fetchrow(sql("evidence/batch_counts"), site_id)
    return {
        "site_id": str(site_id), "length": length, "head_hash": head["head_hash"] if head else GENESIS_HASH,
        "last_bundle_at": head["last_bundle_at"] if head else None, "checked_from": from_seq,
        "checked": walker.checked, "complete": reached_end, "intact": not walker.breaks,
        "verified_up_to": walker.verified_up_to, "break_count": len(walker.breaks), "breaks": breaks,
        "batches": {k: (int(v) if v is not None else None) for k, v in dict(counts).items()},
    }


async def _missing(conn, site_id: uuid.UUID, first: int, last: int) -> list[dict[str, Any]]:
    named = []
    for seq in range(first, min(last, first + _NAMED_GAP_SEQS - 1) + 1):
        row = await conn.fetchrow(sql("evidence/batched_bundle"), site_id, seq)
        named.append({"seq": seq, "bundle_id": row["bundle_id"] if row else None,
                      "batch_id": str(row["batch_id"]) if row else None})
    return named


@dataclass(frozen=True)
class Exported:
    """What `export_site` wrote."""

    manifest: Path
    bundles: int
    batches: int
    stamped: int
    confirmed: int
    keys: int
    first_seq: int | None
    head_hash: str | None


async def export_site(conn: asyncpg.Connection, site_id: uuid.UUID, out_dir: Path, *,
                      since: datetime | None = None) -> Exported:
    """Write the auditor's package for a site: every chained bundle (created at or after `since`) on.

    The exported range is contiguous in the chain (it starts at the first bundle created at or after
    `since` and runs to the head), so it verifies on its own against the hash it continues from.
    """
    first = 0 if since is None else await conn.fetchval(sql("evidence/export_first_seq"), site_id, since)
    entries: list[ChainedEvidence] = []
    if first is not None:
        for row in await conn.fetch(sql("evidence/export_bundles"), site_id, first):
            try:
                signed = parse_signed(row["signed"] or "")
                entries.append(ChainedEvidence(signed=signed, seq=row["chain_seq"], prev_hash=row["prev_hash"],
                                               hash=row["chain_hash"]))
            except (EvidenceError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
                raise PackageError(f"bundle {row['bundle_id']} (seq {row['chain_seq']}) is stored malformed and "
                                   f"cannot be exported: {str(exc).splitlines()[0]}") from exc
    batch_rows = await conn.fetch(sql("evidence/export_batches"), site_id, first) if entries else []
    batches = [BatchRecord(batch_id=str(r["id"]), leaves=list(r["leaves"]), bundle_ids=list(r["bundle_ids"]),
                           ots=bytes(r["ots"]) if r["ots"] is not None else None) for r in batch_rows]
    ring = await keyring(conn, site_id)
    keys = [ApplianceKey(appliance_id=appliance, public_key=bytes(key)) for appliance, key in ring.values()]
    prev = entries[0].prev_hash if entries else GENESIS_HASH
    manifest = write_package(out_dir, site_id=str(site_id), entries=entries, batches=batches, keys=keys,
                             since=since, prev_hash=prev)
    return Exported(manifest, len(entries), len(batches), sum(1 for r in batch_rows if r["ots"] is not None),
                    sum(1 for r in batch_rows if r["status"] == "confirmed"), len(keys),
                    entries[0].seq if entries else None, entries[-1].hash if entries else None)
