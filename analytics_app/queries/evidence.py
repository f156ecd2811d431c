"""Evidence: each site's hash chain, and the Merkle batches' OpenTimestamps stamps (pending or
confirmed in a Bitcoin block)."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, by_site, load, select


def chains(filters: Filters) -> pl.DataFrame | None:
    """Per selected site: bundles chained, head, whether the chain verifies, breaks, bundles not yet batched."""
    frame = load("evidence_chain")
    if frame is None:
        return None
    return by_site(frame, filters).sort("site_id")


def stamps(filters: Filters) -> pl.DataFrame | None:
    """Batches made in the period, newest first: stamp status and the block height once confirmed."""
    frame = select("evidence_batches", filters)
    if frame is None:
        return None
    return (frame.sort("created_at", "batch_id", descending=True, nulls_last=True)
            .select("site_id", "batch_id", "status", "block_height", "block_time", "leaf_count", "first_seq",
                    "last_seq", "root", "created_at", "stamped_at", "upgraded_at", "last_error"))


def stamp_counts(rows: pl.DataFrame) -> dict[str, int]:
    """Batches per stamp status (unstamped, pending, confirmed, failed, …)."""
    return {str(k): int(v) for k, v in rows.group_by("status").len().iter_rows()}
