"""A promoted rule's life: shadow -> canary -> active, and demotion when the field says otherwise.

Pure decisions over plain rows; `warehouse.flywheel` applies them (each with its audit record) and
`republish` signs the bundle that carries them. Thresholds (defaults in brackets, `LifecycleConfig`):

- gate passed -> **shadow**: ships with `"status": "shadow"`; appliances record what it would have
  done (`shadow_matches`) while L2 still decides. A candidate whose rule was demoted or vetoed is
  not promoted again unless an admin pins it.
- shadow -> **canary**: >= `shadow_min_agreements` [5] shadow matches agreed with L2's verified
  outcome (same runbook, healed) and agreement >= `shadow_min_agreement` [0.9]; the rule turns
  active on the `canary_sites` [2] sites with the most agreeing matches.
- canary -> **active** (fleet-wide): >= `canary_min_successes` [5] verified L1 heals and an
  observed success rate >= `canary_min_success_rate` [0.9].
- **demoted** (`demotions`): a canary or active rule whose L1 outcomes' Wilson upper bound (95 %)
  falls below `demote_below` [0.85, the gate's lower-bound threshold]: even the most hopeful
  reading of its record is worse than what promotion demanded. A shadow rule is demoted the same
  way when its agreement's upper bound falls below `shadow_min_agreement`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pipelines.flywheel.errors import GateConfigError
from pipelines.flywheel.gate import key
from warehouse.flywheel import Transition, signatures

Z95 = 1.959963984540054


@dataclass(frozen=True)
class LifecycleConfig:
    """Stage thresholds (documented in the module docstring)."""

    shadow_min_agreements: int = 5
    shadow_min_agreement: float = 0.9
    canary_sites: int = 2
    canary_min_successes: int = 5
    canary_min_success_rate: float = 0.9
    demote_below: float = 0.85

    def __post_init__(self) -> None:
        for name in ("shadow_min_agreement", "canary_min_success_rate", "demote_below"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise GateConfigError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        for name in ("shadow_min_agreements", "canary_sites", "canary_min_successes"):
            if getattr(self, name) < 1:
                raise GateConfigError(f"{name} must be >= 1, got {getattr(self, name)}")


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of successes / n ((0, 1) when n is 0: no evidence either way)."""
    if n <= 0:
        return 0.0, 1.0
    p, z2n = successes / n, z * z / n
    centre, spread = p + z2n / 2, z * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    return max(0.0, (centre - spread) / (1 + z2n)), min(1.0, (centre + spread) / (1 + z2n))


def per_rule(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Fold per-(rule, site) rows into per-rule totals with a `by_site` breakdown."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {**dict.fromkeys(fields, 0), "by_site": {}})
    for row in rows:
        entry = out[row["rule_id"]]
        for name in fields:
            entry[name] += int(row[name])
        entry["by_site"][row["site_id"]] = {name: int(row[name]) for name in fields}
    return dict(out)


def _keys(row: dict[str, Any]) -> set[str]:
    return {key(s, row["runbook_id"]) for s in signatures(row) if row.get("runbook_id")}


def _promote(c: dict[str, Any], rule: dict[str, Any], from_status: str | None, pinned: bool) -> Transition:
    bt = c["backtest"] or {}
    reason = (f"passed the gate: {c['successes']}/{c['n']} healed (Wilson lower {c['wilson_lower']:.3f}) on "
              f"{c['sites']} sites, backtest precision {bt.get('precision')}") + (" (pinned by an admin)" if pinned else "")
    evidence = {k: c[k] for k in ("n", "successes", "wilson_lower", "sites", "human_review_share",
                                  "monthly_cost_usd", "monthly_latency_s")}
    return Transition(rule["id"], "shadow", from_status, reason, c["pattern_signature"], c["runbook_id"],
                      rule=rule, provenance=rule["provenance"], evidence={**evidence, "backtest": bt})


def promotions(candidates: list[dict[str, Any]], promoted: list[dict[str, Any]], rules: list[dict[str, Any]],
               overrides: dict[str, dict[str, Any]], shadow: dict[str, dict[str, Any]],
               outcomes: dict[str, dict[str, Any]], config: LifecycleConfig | None = None) -> list[Transition]:
    """Stage changes forward: vetoes, new shadow rules, shadow -> canary, canary -> active."""
    config = config or LifecycleConfig()
    out: list[Transition] = []
    by_id = {r["rule_id"]: r for r in rules}
    live = {k: r["rule_id"] for r in rules if r["status"] in ("shadow", "canary", "active") for k in _keys(r)}
    stopped = {k for r in rules if r["status"] in ("demoted", "vetoed") for k in _keys(r)}
    moved: set[str] = set()
    for k, override in sorted(overrides.items()):
        if override.get("action") != "veto" or k not in live or live[k] in moved:
            continue
        row = by_id[live[k]]
        out.append(Transition(row["rule_id"], "vetoed", row["status"],
                              f"vetoed by {override.get('actor') or 'an admin'}: {override.get('reason') or ''}".strip(),
                              row["pattern_signature"], row["runbook_id"], actor=override.get("actor") or "admin"))
        moved.add(row["rule_id"])
    rule_of = {r["id"]: r for r in promoted}
    for c in candidates:
        k, rule = key(c["pattern_signature"], c["runbook_id"]), rule_of.get(c.get("rule_id"))
        if c["verdict"] != "promote" or rule is None or rule["id"] in moved or k in live:
            continue
        pinned = (overrides.get(k) or {}).get("action") == "pin"
        if k in stopped and not pinned:
            continue  # demoted or vetoed once: only a person brings it back
        row = by_id.get(rule["id"])
        if row is not None and row["status"] in ("shadow", "canary", "active"):
            continue
        out.append(_promote(c, rule, None if row is None else row["status"], pinned))
        moved.add(rule["id"])
    for row in rules:
        if row["rule_id"] in moved:
            continue
        if row["status"] == "shadow":
            t = _to_canary(row, shadow.get(row["rule_id"]), config)
        elif row["status"] == "canary":
            t = _to_active(row, outcomes.get(row["rule_id"]), config)
        else:
            t = None
        if t is not None:
            out.append(t)
    return out


def _to_canary(row: dict[str, Any], ev: dict[str, Any] | None, config: LifecycleConfig) -> Transition | None:
    if not ev:
        return None
    agree, decided = ev["agree"], ev["agree"] + ev["disagree"]
    if agree < config.shadow_min_agreements or agree / decided < config.shadow_min_agreement:
        return None
    ranked = sorted(ev["by_site"].items(), key=lambda item: (-item[1]["agree"], item[0]))
    sites = [site for site, counts in ranked if counts["agree"] > 0][: config.canary_sites]
    provenance = {**(row.get("provenance") or {}), "shadow_agreement": round(agree / decided, 4),
                  "shadow_matches": decided}
    return Transition(row["rule_id"], "canary", "shadow",
                      f"shadow agreed with L2's verified outcome {agree}/{decided} times; active on {len(sites)} "
                      f"canary site{'s' if len(sites) != 1 else ''}", row["pattern_signature"], row["runbook_id"],
                      provenance=provenance, sites=sites, set_sites=True,
                      evidence={"agree": agree, "disagree": ev["disagree"], "sites": sites})


def _to_active(row: dict[str, Any], ev: dict[str, Any] | None, config: LifecycleConfig) -> Transition | None:
    if not ev or ev["successes"] < config.canary_min_successes or ev["successes"] / ev["n"] < config.canary_min_success_rate:
        return None
    provenance = {**(row.get("provenance") or {}), "canary_outcomes": ev["n"], "canary_successes": ev["successes"]}
    return Transition(row["rule_id"], "active", "canary",
                      f"canary healed {ev['successes']}/{ev['n']} on {len(ev['by_site'])} sites; active fleet-wide",
                      row["pattern_signature"], row["runbook_id"], provenance=provenance, sites=None, set_sites=True,
                      evidence={"n": ev["n"], "successes": ev["successes"], "by_site": ev["by_site"]})


def demotions(rules: list[dict[str, Any]], shadow: dict[str, dict[str, Any]], outcomes: dict[str, dict[str, Any]],
              config: LifecycleConfig | None = None) -> list[Transition]:
    """Live promoted rules whose record no longer supports them, demoted with the reason."""
    config = config or LifecycleConfig()
    out = []
    for row in rules:
        if row.get("source") != "promoted":
            continue  # the flywheel only takes back what it promoted
        if row["status"] in ("canary", "active") and (ev := outcomes.get(row["rule_id"])) and ev["n"]:
            upper = wilson(ev["successes"], ev["n"])[1]
            if upper < config.demote_below:
                out.append(Transition(
                    row["rule_id"], "demoted", row["status"],
                    f"L1 healed {ev['successes']}/{ev['n']}: Wilson upper bound {upper:.3f} < {config.demote_below}",
                    row["pattern_signature"], row["runbook_id"],
                    evidence={"n": ev["n"], "successes": ev["successes"], "wilson_upper": round(upper, 4),
                              "by_site": ev["by_site"]}))
        elif row["status"] == "shadow" and (ev := shadow.get(row["rule_id"])):
            decided = ev["agree"] + ev["disagree"]
            upper = wilson(ev["agree"], decided)[1]
            if decided and upper < config.shadow_min_agreement:
                out.append(Transition(
                    row["rule_id"], "demoted", "shadow",
                    f"shadow agreed with L2 {ev['agree']}/{decided}: Wilson upper bound {upper:.3f} < "
                    f"{config.shadow_min_agreement}", row["pattern_signature"], row["runbook_id"],
                    evidence={"agree": ev["agree"], "disagree": ev["disagree"], "wilson_upper": round(upper, 4)}))
    return out
