"""Flywheel: candidates, rules by stage, the audit trail saying why each rule exists, and whether L2's
stated confidence matches how its decisions turned out."""

from __future__ import annotations

import json

import polars as pl

from analytics_app.data import Filters, by_site, load, select

STAGES = ("shadow", "canary", "active", "demoted", "vetoed", "disabled")


def candidates(filters: Filters) -> pl.DataFrame | None:
    """Candidates evaluated in the period, best evidence first (rules are fleet-wide: no site filter)."""
    frame = select("flywheel_candidates", Filters(None, filters.start, filters.end))
    if frame is None:
        return None
    # The flywheel keeps reasons as a JSON list; a producer may publish it as text or as a list column.
    reasons = (pl.col("reasons").cast(pl.List(pl.Utf8)).list.join("; ") if isinstance(frame.schema["reasons"], pl.List)
               else pl.col("reasons").map_elements(_reasons, return_dtype=pl.Utf8, skip_nulls=True))
    return (frame.with_columns(reasons)
            .sort(["wilson_lower", "n"], descending=True, nulls_last=True)
            .select("verdict", "check_type", "platform", "runbook_id", "n", "successes", "wilson_lower",
                    "wilson_upper", "sites", "rule_id", "reasons", "pattern_signature", "evaluated_at"))


def _reasons(value: str | None) -> str:
    if not value:
        return ""
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return "; ".join(map(str, parsed)) if isinstance(parsed, list) else str(parsed)


def rules(filters: Filters) -> pl.DataFrame | None:
    """Promoted rules with their stage; with sites selected, fleet-wide rules and canaries on those sites."""
    frame = load("flywheel_rules")
    if frame is None:
        return None
    if filters.sites is not None:
        mine = pl.col("sites").list.eval(pl.element().is_in(list(filters.sites))).list.any()
        frame = frame.filter(pl.col("sites").is_null() | mine.fill_null(False))
    order = pl.col("status").replace_strict({s: i for i, s in enumerate(STAGES)}, default=len(STAGES),
                                            return_dtype=pl.Int8)
    return frame.sort(order, "rule_id").select("rule_id", "status", "runbook_id", "sites", "reason",
                                               "status_since", "pattern_signature")


def stage_counts(rule_rows: pl.DataFrame) -> dict[str, int]:
    """How many rules sit in each stage."""
    counts = dict(rule_rows.group_by("status").len().iter_rows())
    return {s: int(counts.get(s, 0)) for s in STAGES}


def audit(filters: Filters, rule_id: str | None = None) -> pl.DataFrame | None:
    """Audit records in the period (of one rule, when given), newest first."""
    frame = select("flywheel_audit", Filters(None, filters.start, filters.end))
    if frame is None:
        return None
    if rule_id is not None:
        frame = frame.filter(pl.col("rule_id") == rule_id)
    return (frame.sort(["created_at", "id"], descending=True)
            .select("created_at", "rule_id", "action", "from_status", "to_status", "reason", "evidence", "actor",
                    "bundle_version"))


def calibration(filters: Filters) -> pl.DataFrame | None:
    """Per confidence decile over the selected sites: decisions, mean stated confidence, real success rate."""
    frame = load("l2_confidence")
    if frame is None:
        return None
    frame = by_site(frame, filters)
    return (frame.group_by("confidence_bucket")
            .agg(pl.col("decisions").sum(), pl.col("with_outcome").sum(), pl.col("healed").sum(),
                 pl.col("failed").sum(), pl.col("escalated").sum(),
                 ((pl.col("mean_confidence") * pl.col("decisions")).sum() / pl.col("decisions").sum())
                 .alias("mean_confidence"))
            .with_columns(pl.when(pl.col("with_outcome") > 0).then(pl.col("healed") / pl.col("with_outcome"))
                          .otherwise(None).alias("success_rate"))
            .sort("confidence_bucket"))
