"""Escalations: the L3 queue (everything not resolved) and every delivery attempt — what went where."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, load, select

OPEN = ("open", "queued", "notified", "failed", "acknowledged")
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def escalations(filters: Filters) -> pl.DataFrame | None:
    """Escalations of the selected sites requested in the period, newest first."""
    frame = select("escalations", filters)
    if frame is None:
        return None
    return (frame.sort("requested_at", "escalation_id", descending=True)
            .select("escalation_id", "site_id", "status", "severity", "host", "check_type", "reason", "occurrences",
                    "channels", "requested_at", "notified_at", "resolved_at", "incident_id"))


def queue(rows: pl.DataFrame) -> pl.DataFrame:
    """The unresolved ones, worst severity first, then oldest first."""
    rank = pl.col("severity").replace_strict(_SEVERITY, default=len(_SEVERITY), return_dtype=pl.Int8)
    return rows.filter(pl.col("status").is_in(OPEN)).sort([rank, "requested_at"])


def status_counts(rows: pl.DataFrame) -> dict[str, int]:
    """Escalations per status."""
    return {str(k): int(v) for k, v in rows.group_by("status").len().iter_rows()}


def attempts(rows: pl.DataFrame) -> pl.DataFrame | None:
    """Delivery attempts of the given escalations, oldest first: channel, answer, error."""
    frame = load("escalation_attempts")
    if frame is None:
        return None
    frame = frame.drop("site_id").join(rows.select("escalation_id", "site_id", "host", "check_type"),
                                       on="escalation_id", how="inner")
    return (frame.sort("attempted_at", "escalation_id", "attempt")
            .select("attempted_at", "escalation_id", "site_id", "host", "check_type", "channel", "action",
                    "attempt", "ok", "status_code", "error", "latency_ms"))


def by_channel(attempt_rows: pl.DataFrame) -> pl.DataFrame:
    """Per channel: attempts, delivered, failed."""
    return (attempt_rows.group_by("channel")
            .agg(pl.len().alias("attempts"), pl.col("ok").sum().alias("delivered"),
                 (~pl.col("ok")).sum().alias("failed"))
            .sort("channel"))
