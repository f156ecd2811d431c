"""L1 matching time per incident: the check_type index vs a linear scan over the same compiled rules.

    .venv/bin/python benchmarks/l1_match.py [--rules 1000] [--incidents 10000] [--rounds 3] [--seed 7]

Prints one JSON object. Both sides use the same compiled `Rule` objects, the same precedence order and
the same site check; only the candidate selection differs. Every incident's answer is compared, so the
speed-up is never bought with a wrong match. Each incident's time is its minimum over the rounds (the
machine is shared; the minimum is the least noisy estimate), then summarised across incidents.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from contracts.rules import Rule, RuleSet, load_rules

PLATFORMS = ["windows", "windows", "windows", "linux", "linux", "nixos", "macos"]
SEVERITIES = ["low", "medium", "high", "critical"]
PROFILES = ["clinic-std", "clinic-strict", "lab-dev", "front-desk", "imaging"]
STATES = ["disabled", "misconfigured", "missing", "stale", "drifted", "expired", "weak", "open", "unsigned",
          "outdated", "unmanaged", "partial"]  # fmt: skip
SITES = [f"site-{i:03d}" for i in range(50)]


def _check_types(n: int) -> list[str]:
    stems = ["firewall", "bitlocker", "defender", "ntp", "audit", "backup", "patch", "password", "rdp",
             "smb", "tls", "usb", "screen_lock", "admin_group", "service", "logging", "dns", "ssh", "disk",
             "antivirus"]  # fmt: skip
    return [f"{stems[i % len(stems)]}_{['status', 'policy'][i // len(stems) % 2]}" for i in range(n)]


def _extra_condition(rng: random.Random) -> dict[str, Any]:
    """One realistic non-check_type condition."""
    kind = rng.randrange(1, 8)
    if kind == 0:
        return {"field": "platform", "operator": "eq", "value": rng.choice(PLATFORMS)}
    if kind == 1:
        return {"field": "platform", "operator": "ne", "value": "nixos"}
    if kind == 2:
        return {"field": "severity", "operator": "in", "value": rng.sample(SEVERITIES, 2)}
    if kind == 3:
        return {"field": "details.state", "operator": "ne", "value": rng.choice(STATES)}
    if kind == 4:
        return {"field": "details.age_days", "operator": "gt", "value": rng.choice([7, 30, 90])}
    if kind == 5:
        return {"field": "details.profile", "operator": "startswith", "value": rng.choice(["clinic", "lab"])}
    if kind == 6:
        return {"field": "details.version", "operator": "regex", "value": rf"^{rng.randint(1, 9)}\.\d+"}
    return {"any": [{"field": "severity", "operator": "eq", "value": "critical"},
                    {"not": {"field": "details.profile", "operator": "exists"}}]}  # fmt: skip


def make_rules(n: int, check_types: list[str], rng: random.Random, unpinned: float = 0.1) -> list[dict]:
    """n rules over the check types, 2-4 conditions each; a share `unpinned` has no check_type eq / in.

    Like promoted rules, each names one drift state (`details.state eq ...`) and a few more facts.
    """
    rules = []
    for i in range(n):
        state = {"field": "details.state", "operator": "eq", "value": rng.choice(STATES)}
        extras = [state, *(_extra_condition(rng) for _ in range(rng.randint(0, 2)))]
        draw = rng.random()
        if draw < unpinned * 0.2:
            # No check_type condition at all ("any critical drift in this state"): tried for every incident.
            conditions = [*extras, {"field": "severity", "operator": "eq", "value": "critical"}]
        elif draw < unpinned:
            # The check type named by a prefix or a pattern, not by eq / in.
            ct = rng.choice(check_types)
            pin = rng.choice([
                {"field": "check_type", "operator": "startswith", "value": ct[:4]},
                {"field": "check_type", "operator": "regex", "value": f"^{ct.split('_')[0]}_(status|policy)$"},
            ])  # fmt: skip
            conditions = [*extras, pin]
        elif rng.random() < 0.15:
            conditions = [
                {"field": "check_type", "operator": "in", "value": rng.sample(check_types, 3)},
                *extras,
            ]
        else:
            conditions = [
                {"field": "check_type", "operator": "eq", "value": rng.choice(check_types)},
                *extras,
            ]
        rules.append({
            "id": f"L1-BENCH-{i:04d}", "priority": rng.choice([10, 50, 50, 100, 100, 200]),
            "enabled": rng.random() > 0.03, "status": "shadow" if rng.random() < 0.05 else "active",
            "sites": rng.sample(SITES, 3) if rng.random() < 0.05 else None,
            "source": "promoted", "conditions": conditions[:4],
            "action": "execute_runbook", "runbook_id": f"RB-BENCH-{i % 97:03d}",
        })  # fmt: skip
    return rules


def make_incidents(n: int, check_types: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """n incident fact mappings, shaped like `Incident.facts()`; 5% with a check type no rule knows."""
    out = []
    for _ in range(n):
        details: dict[str, Any] = {"state": rng.choice(STATES), "age_days": rng.randint(0, 120),
                                   "version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}"}  # fmt: skip
        if rng.random() < 0.8:
            details["profile"] = rng.choice(PROFILES)
        check = rng.choice(check_types) if rng.random() > 0.05 else f"custom_{rng.randint(0, 99)}"
        out.append({"incident_id": f"inc-{len(out)}", "site_id": rng.choice(SITES), "host": "ws-01",
                    "check_type": check, "platform": rng.choice(PLATFORMS),
                    "severity": rng.choice(SEVERITIES), "details": details})  # fmt: skip
    return out


def linear_match(ordered: list[Rule], facts: dict[str, Any]) -> Rule | None:
    """The baseline: every active, enabled rule in precedence order, the first that applies wins."""
    site = facts.get("site_id")
    for rule in ordered:
        if rule._predicate(facts) and rule.applies_to_site(site):
            return rule
    return None


def _time(fn, incidents: list[dict[str, Any]]) -> list[int]:
    clock = time.perf_counter_ns
    out = []
    for facts in incidents:
        start = clock()
        fn(facts)
        out.append(clock() - start)
    return out


def _summary(ns: list[int]) -> dict[str, float]:
    ordered = sorted(ns)
    return {
        "median_us": round(statistics.median(ordered) / 1000, 2),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] / 1000, 2),
        "mean_us": round(statistics.fmean(ordered) / 1000, 2),
    }


def run(n_rules: int, n_incidents: int, rounds: int, seed: int, n_check_types: int = 40) -> dict[str, Any]:
    """Build the rules and incidents, check both matchers agree, time them, and return the figures."""
    rng = random.Random(seed)
    check_types = _check_types(n_check_types)
    raw_rules = make_rules(n_rules, check_types, rng)
    incidents = make_incidents(n_incidents, check_types, rng)

    start = time.perf_counter()
    ruleset: RuleSet = load_rules(json.dumps(raw_rules))
    load_ms = (time.perf_counter() - start) * 1000
    ordered = sorted((r for r in ruleset if r.enabled and r.status == "active"), key=lambda r: r.precedence)

    def indexed(facts: dict[str, Any]) -> Rule | None:
        return ruleset.match(facts)

    def linear(facts: dict[str, Any]) -> Rule | None:
        return linear_match(ordered, facts)

    winners = [indexed(f) for f in incidents]
    assert winners == [linear(f) for f in incidents], "index and linear scan disagree"

    best = {"indexed": [float("inf")] * n_incidents, "linear": [float("inf")] * n_incidents}
    for _ in range(rounds):
        for name, fn in (("indexed", indexed), ("linear", linear)):  # interleaved: same machine state
            best[name] = [min(a, b) for a, b in zip(best[name], _time(fn, incidents), strict=True)]

    indexed_s, linear_s = _summary(best["indexed"]), _summary(best["linear"])
    index = ruleset._active
    return {
        "benchmark": "l1_match",
        "rules": n_rules,
        "check_types": n_check_types,
        "active_enabled_rules": len(ordered),
        "unpinned_active_rules": len(index.unpinned),
        "always_tried_rules": len(index.always),
        "mean_candidates": round(statistics.fmean(len(index.candidates(f)) for f in incidents), 1),
        "incidents": n_incidents,
        "rounds": rounds,
        "matched_share": round(sum(w is not None for w in winners) / n_incidents, 3),
        "load_and_compile_ms": round(load_ms, 1),
        "indexed": indexed_s,
        "linear_scan": linear_s,
        "speedup_median": round(linear_s["median_us"] / indexed_s["median_us"], 1),
        "speedup_p99": round(linear_s["p99_us"] / indexed_s["p99_us"], 1),
        "speedup_mean": round(linear_s["mean_us"] / indexed_s["mean_us"], 1),
    }


def main() -> None:
    """Parse the arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.rules, args.incidents, args.rounds, args.seed)))


if __name__ == "__main__":
    main()
