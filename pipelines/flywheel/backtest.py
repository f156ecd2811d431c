"""Backtest: evaluate synthesized rules with `contracts.rules` over every past incident.

A rule passes history when, among the past incidents it matches that have a verified outcome,
almost all were healed by its runbook (precision), and no existing rule that picks another runbook
(or escalates or suppresses) matches any incident it matches: it would shadow that rule, or be
shadowed by it, depending on priorities, and either way one of the two is wrong there. Each kind
of drift (pattern signature) is evaluated once on a representative incident and weighed by its
count; existing rules count fleet-wide (a canary rule conflicts wherever it could go next).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts.rules import Rule, load_rules
from pipelines.flywheel.synthesis import Pattern


@dataclass
class BacktestResult:
    """What a rule would have done over history."""

    matched: int = 0
    """Past incidents the rule matches."""
    true_positives: int = 0
    """Matched incidents its runbook healed."""
    false_positives: int = 0
    """Matched incidents its runbook failed on, or another runbook healed."""
    conflicts: int = 0
    """Matched incidents another rule also matches with a different runbook or action."""
    conflicting_rules: set[str] = field(default_factory=set)

    @property
    def precision(self) -> float | None:
        """TP / (TP + FP), or None when no matched incident has a verified outcome."""
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        p = self.precision
        return {"matched": self.matched, "true_positives": self.true_positives,
                "false_positives": self.false_positives, "precision": None if p is None else round(p, 4),
                "conflicts": self.conflicts, "conflicting_rules": sorted(self.conflicting_rules)}


def _fleet_wide(rule: Rule) -> dict[str, Any]:
    data = rule.to_dict()
    data.update(status="active", sites=None)
    return data


def backtest(rules: Iterable[dict[str, Any]], patterns: Iterable[Pattern],
             existing: Iterable[Rule] = ()) -> dict[str, BacktestResult]:
    """Backtest each new rule (dicts in the L1 format) against history and the existing rules."""
    new = {r["id"]: r for r in rules}
    known = [r for r in existing if r.enabled]
    known_ids = {r.id for r in known}
    combined = load_rules([*(_fleet_wide(r) for r in known),
                           *({**r, "status": "active", "sites": None} for i, r in new.items() if i not in known_ids)])
    by_signature: dict[str, list[Pattern]] = defaultdict(list)
    for p in patterns:
        by_signature[p.signature].append(p)
    results = {rid: BacktestResult() for rid in new}
    for group in by_signature.values():
        matched = combined.match_all(group[0].facts)
        hits = [r for r in matched if r.id in new]
        if not hits:
            continue
        total = sum(p.n for p in group)
        for rule in hits:
            res = results[rule.id]
            res.matched += total
            for p in group:
                if p.runbook_id is None or p.success is None:
                    continue
                if p.runbook_id == rule.runbook_id:
                    if p.success:
                        res.true_positives += p.n
                    else:
                        res.false_positives += p.n
                elif p.success:
                    res.false_positives += p.n
            rivals = [o.id for o in matched if o.id != rule.id
                      and (o.action != "execute_runbook" or o.runbook_id != rule.runbook_id)]
            if rivals:
                res.conflicts += total
                res.conflicting_rules.update(rivals)
    return results
