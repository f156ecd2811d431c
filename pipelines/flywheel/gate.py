"""The promotion gate: evidence, not a counter.

A candidate (pattern_signature, runbook_id) passes when all of these hold (defaults in brackets,
every one configurable through `GateConfig`, the `flywheel` resource and `osiris flywheel simulate`):

- n: verified L2 decisions [>= 5];
- the Wilson score lower bound (95 %) of their success rate [>= 0.85] (with no failures that
  takes 22 decisions: the bound, not the raw rate, is what small samples cannot fake);
- distinct sites [>= 2]: one clinic's quirk is not a pattern;
- synthesis found a condition list whose tree leaf holds >= `leaf_purity` positives [0.9];
- the backtest over every past incident: precision [>= 0.9], and no conflict [0 incidents] with an
  existing rule (builtin or promoted) that picks another runbook or action.

An admin's pin waives the first three (the evidence thresholds), never synthesis or the backtest:
no one can ship a rule that history contradicts. A veto rejects the candidate whatever it shows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import polars as pl

from contracts.rules import Rule
from pipelines.flywheel.backtest import BacktestResult, backtest
from pipelines.flywheel.errors import GateConfigError
from pipelines.flywheel.synthesis import Pattern, Synthesized

PROMOTED_PRIORITY = 50
"""Below the builtin rules' 100: a promoted rule never outranks what a person wrote."""


@dataclass(frozen=True)
class GateConfig:
    """The gate's thresholds and the synthesis settings (documented in the module docstring)."""

    min_n: int = 5
    min_wilson_lower: float = 0.85
    min_sites: int = 2
    min_precision: float = 0.9
    max_conflicts: int = 0
    leaf_purity: float = 0.9
    max_depth: int = 3
    min_samples_leaf: int = 1
    priority: int = PROMOTED_PRIORITY

    def __post_init__(self) -> None:
        for name in ("min_wilson_lower", "min_precision", "leaf_purity"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise GateConfigError(f"{name} must be within [0, 1], got {value}")
        for name, low in (("min_n", 1), ("min_sites", 1), ("max_conflicts", 0), ("max_depth", 1),
                          ("min_samples_leaf", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise GateConfigError(f"{name} must be an integer >= {low}, got {value!r}")

    def synthesis(self) -> dict[str, Any]:
        """The keyword arguments of `synthesis.synthesize`."""
        return {"max_depth": self.max_depth, "min_samples_leaf": self.min_samples_leaf,
                "leaf_purity": self.leaf_purity}

    def to_dict(self) -> dict[str, Any]:
        """The thresholds as JSON."""
        return asdict(self)


@dataclass
class Evaluation:
    """Every candidate with its figures and verdict, and the rules the gate lets through."""

    candidates: list[dict[str, Any]]
    promoted: list[dict[str, Any]]


def _r(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def key(signature: str, runbook_id: str) -> str:
    """A candidate's key: `pattern_signature|runbook_id`."""
    return f"{signature}|{runbook_id}"


def _rule(c: dict[str, Any], synth: Synthesized, result: BacktestResult, config: GateConfig) -> dict[str, Any]:
    provenance = {
        "signature": c["pattern_signature"], "signatures": sorted(synth.signatures), "n": c["n"],
        "successes": c["successes"], "wilson_lower": c["wilson_lower"], "sites": c["sites"],
        "backtest_precision": _r(result.precision), "backtest_matches": result.matched,
        "shadow_agreement": None, "first_seen": c["first_seen"], "last_seen": c["last_seen"],
    }
    return {
        "id": synth.rule_id, "priority": config.priority, "enabled": True, "source": "promoted",
        "conditions": synth.conditions, "action": "execute_runbook", "runbook_id": synth.runbook_id,
        "params": {}, "status": "active", "sites": None, "provenance": provenance,
        "description": f"Promoted by the flywheel: {synth.runbook_id} healed {c['successes']} of {c['n']} "
                       f"{c['check_type']} incidents on {c['sites']} sites (Wilson lower bound "
                       f"{c['wilson_lower']:.3f}).",
    }


def judge(candidates: pl.DataFrame, synthesized: dict[str, Synthesized], patterns: list[Pattern],
          existing: list[Rule], config: GateConfig, overrides: dict[str, dict[str, Any]] | None = None,
          live: dict[str, str] | None = None) -> Evaluation:
    """Run the gate and the backtest over mined candidates.

    `overrides`: candidate key -> {"action": "pin" | "veto", "reason"}; `live`: candidate key -> the
    id of its promoted rule already in shadow, canary or active (the verdict is then "live").
    """
    overrides, live = overrides or {}, live or {}
    rows = [{k: _r(v) for k, v in row.items()} for row in candidates.iter_rows(named=True)]
    proposals: dict[str, dict[str, Any]] = {}
    for c in rows:
        synth = synthesized.get(key(c["pattern_signature"], c["runbook_id"]))
        if synth is not None:
            proposals[synth.rule_id] = {"id": synth.rule_id, "conditions": synth.conditions, "priority":
                                        config.priority, "action": "execute_runbook",
                                        "runbook_id": synth.runbook_id, "source": "promoted"}
    results = backtest(proposals.values(), patterns, existing)
    evaluated, promoted = [], {}
    for c in rows:
        k = key(c["pattern_signature"], c["runbook_id"])
        synth, override = synthesized.get(k), overrides.get(k) or {}
        reasons = []
        if override.get("action") != "pin":
            if c["n"] < config.min_n:
                reasons.append(f"n {c['n']} < {config.min_n}")
            if c["wilson_lower"] < config.min_wilson_lower:
                reasons.append(f"Wilson lower bound {c['wilson_lower']:.3f} < {config.min_wilson_lower}")
            if c["sites"] < config.min_sites:
                reasons.append(f"{c['sites']} site{'s' if c['sites'] != 1 else ''} < {config.min_sites}")
        result = results.get(synth.rule_id) if synth else None
        if synth is None or result is None:
            reasons.append(f"no condition list: {c['runbook_id']}'s heals are not separable from its failures "
                           f"and other runbooks' heals at purity {config.leaf_purity}")
        else:
            precision = result.precision
            if precision is None or precision < config.min_precision:
                shown = "none judged" if precision is None else f"{precision:.3f}"
                reasons.append(f"backtest precision {shown} < {config.min_precision}")
            if result.conflicts > config.max_conflicts:
                reasons.append(f"conflicts with {', '.join(sorted(result.conflicting_rules))} on "
                               f"{result.conflicts} past incidents")
        if override.get("action") == "veto":
            reasons.append(f"vetoed by an admin: {override.get('reason') or 'no reason given'}")
        verdict = "reject" if reasons else ("live" if k in live else "promote")
        if verdict == "live":
            reasons.append(f"already live as {live[k]}")
        entry = {**c, "rule_id": synth.rule_id if synth else None,
                 "conditions": synth.conditions if synth else None,
                 "leaf": {"positives": synth.positives, "negatives": synth.negatives,
                          "purity": round(synth.purity, 4)} if synth else None,
                 "backtest": result.to_dict() if result else None,
                 "override": override.get("action"), "verdict": verdict, "reasons": reasons}
        evaluated.append(entry)
        if verdict == "promote" and synth.rule_id not in promoted:
            promoted[synth.rule_id] = _rule(c, synth, result, config)
    return Evaluation(evaluated, [promoted[i] for i in sorted(promoted)])
