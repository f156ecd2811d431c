"""The marts the reports read: each one's published name(s), columns, producer and date column.

The warehouse's marts (`pipelines/marts`) exist today; the others are what the flywheel, evidence,
escalation and inventory work is expected to publish. A page whose mart is missing shows a clear
empty state; a mart missing a *required* column is reported by name (never a traceback); optional
columns that are absent read as nulls, so a producer can add them later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

_TS = pl.Datetime("us", "UTC")
_STR_LIST = pl.List(pl.Utf8)


@dataclass(frozen=True)
class MartSpec:
    """What the reports expect of one published mart."""

    name: str
    producer: str
    doc: str
    columns: dict[str, pl.DataType]
    required: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    date_column: str | None = None
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.columns))

    @property
    def names(self) -> tuple[str, ...]:
        """The file names tried in order (`<name>.parquet` first)."""
        return (self.name, *self.aliases)


def _spec(name: str, producer: str, doc: str, columns: dict[str, pl.DataType], required: str,
          aliases: tuple[str, ...] = (), date_column: str | None = None) -> MartSpec:
    return MartSpec(name, producer, doc, columns, tuple(required.split()), aliases, date_column)


_W = "warehouse (pipelines/marts)"
_COUNTS = {"passed": pl.Int64, "failed": pl.Int64, "not_applicable": pl.Int64, "errors": pl.Int64}

SPECS: tuple[MartSpec, ...] = (
    _spec("compliance_rates", _W, "site × UTC day × check type: checks run and their results",
          {"site_id": pl.Utf8, "day": pl.Date, "check_type": pl.Utf8, "checks": pl.Int64, "devices": pl.Int64,
           **_COUNTS, "compliance_rate": pl.Float64},
          "site_id day check_type passed failed", date_column="day"),
    _spec("device_compliance", _W, "one row per device: latest result of each check, rolled up, plus the scan",
          {"site_id": pl.Utf8, "host": pl.Utf8, "platform": pl.Utf8, "ip": pl.Utf8, "device_type": pl.Utf8,
           "in_inventory": pl.Boolean, "checks": pl.Int64, **_COUNTS, "compliance_rate": pl.Float64,
           "compliant": pl.Boolean, "failing_checks": _STR_LIST, "last_checked_at": _TS, "last_scanned_at": _TS},
          "site_id host checks passed failed"),
    _spec("cve_exposure", _W, "site × device × CVE with CVSS, KEV and whether an open port serves it",
          {"site_id": pl.Utf8, "host": pl.Utf8, "cve_id": pl.Utf8, "cpe": pl.Utf8, "cvss_score": pl.Float64,
           "cvss_version": pl.Utf8, "cvss_vector": pl.Utf8, "attack_vector": pl.Utf8, "base_severity": pl.Utf8,
           "exposed": pl.Boolean, "exposed_ports": _STR_LIST, "kev": pl.Boolean, "kev_due": pl.Date,
           "description": pl.Utf8, "published": _TS, "last_modified": _TS, "severity": pl.Utf8,
           "last_observed_at": _TS},
          "site_id host cve_id cvss_score exposed severity"),
    _spec("control_coverage", _W, "site × HIPAA element × 800-53 control × check with the latest status",
          {"site_id": pl.Utf8, "hipaa_element": pl.Utf8, "element_title": pl.Utf8, "element_type": pl.Utf8,
           "safeguard": pl.Utf8, "control_id": pl.Utf8, "control_label": pl.Utf8, "control_title": pl.Utf8,
           "check_type": pl.Utf8, "via": pl.Utf8, "devices": pl.Int64, **_COUNTS, "status": pl.Utf8},
          "site_id hipaa_element control_id check_type status"),
    _spec("tier_distribution", _W, "site × week × tier: incidents finally handled by each tier",
          {"site_id": pl.Utf8, "week": pl.Date, "tier": pl.Utf8, "incidents": pl.Int64, "healed": pl.Int64,
           "mean_duration_ms": pl.Float64, "share": pl.Float64},
          "site_id week tier incidents", date_column="week"),
    _spec("l2_costs", _W, "site × day × provider × model: L2 decisions, tokens, cost and latency",
          {"site_id": pl.Utf8, "day": pl.Date, "provider": pl.Utf8, "model": pl.Utf8, "decisions": pl.Int64,
           "input_tokens": pl.Float64, "output_tokens": pl.Float64, "cost_usd": pl.Float64,
           "mean_cost_usd": pl.Float64, "mean_latency_ms": pl.Float64, "p95_latency_ms": pl.Float64,
           "human_reviews": pl.Int64},
          "site_id day decisions cost_usd", date_column="day"),
    _spec("l2_confidence", _W, "site × confidence decile: L2 decisions and how their incidents ended",
          {"site_id": pl.Utf8, "confidence_bucket": pl.Float64, "decisions": pl.Int64,
           "mean_confidence": pl.Float64, "with_outcome": pl.Int64, "healed": pl.Int64, "failed": pl.Int64,
           "escalated": pl.Int64, "human_reviews": pl.Int64, "success_rate": pl.Float64},
          "site_id confidence_bucket decisions with_outcome healed"),
    # --- expected, not yet published by anyone: the pages show an empty state until they are -------
    _spec("sites", "warehouse (expected)", "site names for display (ids are shown without it)",
          {"site_id": pl.Utf8, "name": pl.Utf8}, "site_id name"),
    _spec("incidents", "warehouse (expected)", "one row per incident with its current state",
          {"site_id": pl.Utf8, "incident_id": pl.Utf8, "host": pl.Utf8, "check_type": pl.Utf8,
           "severity": pl.Utf8, "observed_at": _TS, "status": pl.Utf8, "tier": pl.Utf8, "outcome": pl.Utf8,
           "resolved_at": _TS},
          "site_id incident_id host check_type observed_at status", date_column="observed_at"),
    _spec("device_checks", "warehouse (expected)", "site × device × check: the latest result",
          {"site_id": pl.Utf8, "host": pl.Utf8, "check_type": pl.Utf8, "status": pl.Utf8, "observed_at": _TS},
          "site_id host check_type status", date_column="observed_at"),
    _spec("healing_history", "warehouse (expected)", "every healing outcome: tier, runbook, rule, result",
          {"site_id": pl.Utf8, "host": pl.Utf8, "incident_id": pl.Utf8, "tier": pl.Utf8, "status": pl.Utf8,
           "runbook_id": pl.Utf8, "rule_id": pl.Utf8, "duration_ms": pl.Float64, "finished_at": _TS},
          "site_id host tier status finished_at", aliases=("healing_outcomes",), date_column="finished_at"),
    _spec("open_ports", "warehouse (expected)", "the open ports of each device's latest scan",
          {"site_id": pl.Utf8, "host": pl.Utf8, "port": pl.Int64, "proto": pl.Utf8, "service": pl.Utf8,
           "product": pl.Utf8, "scanned_at": _TS},
          "site_id host port"),
    _spec("flywheel_candidates", "flywheel (expected)", "the last evaluation of each (pattern, runbook)",
          {"pattern_signature": pl.Utf8, "runbook_id": pl.Utf8, "check_type": pl.Utf8, "platform": pl.Utf8,
           "n": pl.Int64, "successes": pl.Int64, "wilson_lower": pl.Float64, "wilson_upper": pl.Float64,
           "sites": pl.Int64, "human_review_share": pl.Float64, "monthly_cost_usd": pl.Float64,
           "rule_id": pl.Utf8, "verdict": pl.Utf8, "reasons": pl.Utf8, "evaluated_at": _TS},
          "pattern_signature runbook_id n successes wilson_lower verdict",
          aliases=("rule_candidates", "candidates"), date_column="evaluated_at"),
    _spec("flywheel_rules", "flywheel (expected)", "promoted rules and their stage",
          {"rule_id": pl.Utf8, "status": pl.Utf8, "pattern_signature": pl.Utf8, "runbook_id": pl.Utf8,
           "sites": _STR_LIST, "reason": pl.Utf8, "status_since": _TS, "created_at": _TS},
          "rule_id status", aliases=("promoted_rules", "rules")),
    _spec("flywheel_audit", "flywheel (expected)", "every promotion, stage change and demotion, with evidence",
          {"id": pl.Int64, "rule_id": pl.Utf8, "action": pl.Utf8, "from_status": pl.Utf8, "to_status": pl.Utf8,
           "reason": pl.Utf8, "evidence": pl.Utf8, "actor": pl.Utf8, "bundle_version": pl.Int64,
           "created_at": _TS},
          "rule_id action to_status reason created_at", aliases=("rule_audit",), date_column="created_at"),
    _spec("evidence_chain", "evidence (pipelines/evidence)", "per site: the hash chain's length, head and health",
          {"site_id": pl.Utf8, "bundles": pl.Int64, "head_seq": pl.Int64, "head_hash": pl.Utf8,
           "last_bundle_at": _TS, "chain_ok": pl.Boolean, "breaks": pl.Int64, "first_break": pl.Utf8,
           "unbatched": pl.Int64, "pending": pl.Int64, "confirmed": pl.Int64, "anchored_up_to": pl.Int64,
           "checked_at": _TS},
          "site_id bundles chain_ok", aliases=("evidence_chain_status",)),
    _spec("evidence_batches", "evidence (pipelines/evidence)", "Merkle batches and their OpenTimestamps stamps",
          {"site_id": pl.Utf8, "batch_id": pl.Utf8, "first_seq": pl.Int64, "last_seq": pl.Int64, "root": pl.Utf8,
           "leaf_count": pl.Int64, "status": pl.Utf8, "block_height": pl.Int64, "block_time": _TS,
           "created_at": _TS, "stamped_at": _TS, "upgraded_at": _TS, "last_error": pl.Utf8},
          "site_id batch_id status", aliases=("evidence_stamps",), date_column="created_at"),
    _spec("evidence_bundles", "evidence (pipelines/evidence)", "every chained evidence bundle with its hashes",
          {"site_id": pl.Utf8, "bundle_id": pl.Utf8, "seq": pl.Int64, "kind": pl.Utf8, "check_type": pl.Utf8,
           "target": pl.Utf8, "result": pl.Utf8, "bundle_hash": pl.Utf8, "chain_hash": pl.Utf8,
           "batch_id": pl.Utf8, "anchor_status": pl.Utf8, "block_height": pl.Int64, "created_at": _TS},
          "site_id bundle_id check_type bundle_hash created_at", date_column="created_at"),
    _spec("escalations", "L3 (expected)", "escalation heads: the queue and what happened to each",
          {"escalation_id": pl.Utf8, "site_id": pl.Utf8, "incident_id": pl.Utf8, "host": pl.Utf8,
           "check_type": pl.Utf8, "severity": pl.Utf8, "reason": pl.Utf8, "status": pl.Utf8,
           "occurrences": pl.Int64, "channels": _STR_LIST, "requested_at": _TS, "notified_at": _TS,
           "resolved_at": _TS},
          "escalation_id site_id status requested_at", date_column="requested_at"),
    _spec("escalation_attempts", "L3 (expected)", "every delivery attempt: channel, answer, error",
          {"escalation_id": pl.Utf8, "site_id": pl.Utf8, "channel": pl.Utf8, "action": pl.Utf8,
           "attempt": pl.Int64, "ok": pl.Boolean, "status_code": pl.Int64, "error": pl.Utf8,
           "latency_ms": pl.Float64, "attempted_at": _TS},
          "escalation_id channel ok attempted_at", date_column="attempted_at"),
)

MARTS: dict[str, MartSpec] = {s.name: s for s in SPECS}
