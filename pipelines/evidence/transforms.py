"""Pure steps of the `evidence` group: cut verified chain segments into Merkle batches, shape the marts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from contracts.evidence import merkle_root
from warehouse.evidence.walk import ChainRow

_TS = pl.Datetime("us", "UTC")

BATCH_SCHEMA: dict[str, Any] = {
    "batch_id": pl.Utf8, "site_id": pl.Utf8, "first_seq": pl.Int64, "last_seq": pl.Int64, "leaf_count": pl.Int64,
    "root": pl.Utf8, "status": pl.Utf8, "calendars": pl.List(pl.Utf8), "stamp_attempts": pl.Int64,
    "upgrade_attempts": pl.Int64, "last_error": pl.Utf8, "created_at": _TS, "stamped_at": _TS,
    "upgraded_at": _TS, "confirmed_at": _TS, "block_height": pl.Int64, "block_time": _TS,
}
CHAIN_SCHEMA: dict[str, Any] = {
    "site_id": pl.Utf8, "bundles": pl.Int64, "head_seq": pl.Int64, "head_hash": pl.Utf8, "last_bundle_at": _TS,
    "batches": pl.Int64, "stamped": pl.Int64, "unstamped": pl.Int64, "pending": pl.Int64, "confirmed": pl.Int64,
    "unbatched": pl.Int64, "anchored_up_to": pl.Int64, "block_height": pl.Int64, "block_time": _TS,
    "checked_up_to": pl.Int64, "breaks": pl.Int64, "chain_ok": pl.Boolean, "first_break": pl.Utf8,
    "checked_at": _TS,
}
BUNDLE_SCHEMA: dict[str, Any] = {
    "ingest_seq": pl.Int64, "site_id": pl.Utf8, "bundle_id": pl.Utf8, "seq": pl.Int64, "appliance_id": pl.Utf8,
    "kind": pl.Utf8, "check_type": pl.Utf8, "target": pl.Utf8, "result": pl.Utf8, "bundle_hash": pl.Utf8,
    "chain_hash": pl.Utf8, "created_at": _TS, "received_at": _TS,
}


@dataclass(frozen=True)
class BatchPlan:
    """One Merkle batch to record: a run of consecutive chain entries of one site."""

    site_id: str
    seqs: list[int]
    bundle_ids: list[str]
    leaves: list[str]

    @property
    def root(self) -> str:
        """The hex Merkle root over the leaves (the entries' chain hashes)."""
        return merkle_root([bytes.fromhex(leaf) for leaf in self.leaves]).hex()


def plan_batches(site_id: str, rows: Sequence[ChainRow], verified_up_to: int | None,
                 max_leaves: int) -> list[BatchPlan]:
    """Batches of at most `max_leaves` over the rows that verified (seq <= verified_up_to), in order."""
    if verified_up_to is None or max_leaves < 1:
        return []
    good = [r for r in rows if r.seq <= verified_up_to and r.chain_hash]
    return [BatchPlan(site_id, [r.seq for r in chunk], [r.bundle_id for r in chunk], [r.chain_hash for r in chunk])
            for chunk in (good[i:i + max_leaves] for i in range(0, len(good), max_leaves))]


def frame(rows: Iterable[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Database rows (mappings) as a frame with exactly `schema`'s columns and types, even when empty."""
    records = [{name: row[name] for name in schema} for row in rows]
    return pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
