"""Rule synthesis: a shallow decision tree per runbook turns past incidents into readable conditions.

For one runbook and one check type, every past incident of that check type with a verified outcome
is a positive (this runbook healed it) or a negative (this runbook failed, or another runbook
healed it). The features are the incidents' categorical facts (the ones a pattern signature keeps:
platform and `details.*`), one-hot encoded. A scikit-learn `DecisionTreeClassifier` (shallow, so the
result stays readable) splits them; each leaf whose positives reach `leaf_purity` is read back as a
condition list: a split taken on `field == v` gives `eq`, the other side `ne`, and sibling leaves
that differ only in one field's value merge into `in`. Conditions are as general as the evidence
allows, with two pins: `check_type eq X` (the rule index keys on it) and the platforms the runbook
was seen healing (a runbook is a platform's script; no evidence speaks for another platform).

Incidents arrive folded per pattern signature with counts (see `flywheel/patterns.sql`), so the
tree trains on a few hundred weighted rows however long the history is.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from contracts.incidents import signature_facts

PINNED_FIELD = "check_type"


@dataclass(frozen=True)
class Pattern:
    """Past incidents of one signature with one (runbook, success) outcome, and representative facts."""

    signature: str
    runbook_id: str | None
    success: bool | None
    n: int
    check_type: str
    platform: str
    facts: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Synthesized:
    """One condition list read from a tree: the runbook it picks and the evidence inside its leaf."""

    runbook_id: str
    check_type: str
    conditions: list[dict[str, Any]] = field(hash=False)
    positives: int
    negatives: int
    signatures: frozenset[str]

    @property
    def rule_id(self) -> str:
        """`L1-AUTO-` and a hash of runbook and conditions: the same evidence always names one rule."""
        return rule_id(self.runbook_id, self.conditions)

    @property
    def purity(self) -> float:
        """Share of the leaf's incidents that are positives."""
        return self.positives / (self.positives + self.negatives)


def rule_id(runbook_id: str, conditions: list[dict[str, Any]]) -> str:
    """The stable id of a promoted rule with these conditions."""
    canonical = json.dumps({"runbook_id": runbook_id, "conditions": conditions}, sort_keys=True,
                           separators=(",", ":"))
    return "L1-AUTO-" + hashlib.sha256(canonical.encode()).hexdigest()[:10].upper()


def pattern_records(frame: pl.DataFrame) -> list[Pattern]:
    """The rows of `mining.patterns` as Patterns (details JSON parsed once per row)."""
    out = []
    for row in frame.iter_rows(named=True):
        details = json.loads(row["details"]) if row["details"] else {}
        facts = {"check_type": row["check_type"], "platform": row["platform"], "severity": row["severity"],
                 "details": details if isinstance(details, dict) else {}}
        out.append(Pattern(row["pattern_signature"], row["runbook_id"], row["success"], int(row["n"]),
                           row["check_type"], row["platform"], facts))
    return out


def _resolve(facts: Mapping[str, Any], path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def categorical_fields(facts: Mapping[str, Any]) -> dict[str, str | bool]:
    """Field -> raw value for the categorical facts a condition may test (check_type aside).

    The signature decides which fields are categorical; the value is the incident's own (not the
    signature's lower-cased copy), because conditions compare the incident's raw values.
    """
    out: dict[str, str | bool] = {}
    for key in signature_facts(dict(facts)):
        if key == PINNED_FIELD:
            continue
        value = _resolve(facts, key)
        if isinstance(value, str | bool):
            out[key] = value
    return out


@dataclass
class _Leaf:
    """A leaf as field -> (kind, values): kind "eq" (one of the values) or "ne" (none of them)."""

    tests: dict[str, tuple[str, frozenset[str]]]
    positives: float = 0.0
    negatives: float = 0.0
    signatures: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)


def _labelled(patterns: Iterable[Pattern], runbook_id: str, check_type: str) -> dict[tuple[str, int], float]:
    """(signature, 1 positive / 0 negative) -> incident count, for one runbook and check type."""
    weights: dict[tuple[str, int], float] = defaultdict(float)
    for p in patterns:
        if p.check_type != check_type or p.runbook_id is None or p.success is None:
            continue
        if p.runbook_id == runbook_id:
            weights[(p.signature, 1 if p.success else 0)] += p.n
        elif p.success:  # another runbook healed it: this one was not the answer there
            weights[(p.signature, 0)] += p.n
    return weights


def _tree_leaves(rows: list[tuple[str, int]], weights: list[float], fields: dict[str, dict[str, Any]],
                 max_depth: int, min_samples_leaf: int) -> list[tuple[dict[str, tuple[str, frozenset[str]]], list[int]]]:
    """Fit the tree; every leaf as (path tests, indexes of the rows that land in it)."""
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier  # imported here: only synthesis needs sklearn

    features = sorted({(f, json.dumps(v)) for sig, _ in rows for f, v in fields[sig].items()})
    if not features or len({y for _, y in rows}) < 2:
        return [({}, list(range(len(rows))))]
    column = {feat: i for i, feat in enumerate(features)}
    x = np.zeros((len(rows), len(features)), dtype=np.float32)
    for r, (sig, _) in enumerate(rows):
        for f, v in fields[sig].items():
            x[r, column[(f, json.dumps(v))]] = 1.0
    y = np.array([label for _, label in rows])
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_samples_leaf, random_state=0)
    tree.fit(x, y, sample_weight=np.array(weights))
    t, landed = tree.tree_, tree.apply(x)
    leaves = []
    stack: list[tuple[int, dict[str, tuple[str, frozenset[str]]]]] = [(0, {})]
    while stack:
        node, tests = stack.pop()
        if t.children_left[node] == -1:
            leaves.append((tests, [i for i in range(len(rows)) if landed[i] == node]))
            continue
        name, value = features[t.feature[node]]
        # One-hot: the left child holds `feature <= 0.5`, i.e. the field is not this value (or absent).
        stack.append((t.children_left[node], _add(tests, name, "ne", value)))
        stack.append((t.children_right[node], _add(tests, name, "eq", value)))
    return leaves


def _add(tests: dict[str, tuple[str, frozenset[str]]], name: str, kind: str, value: str) -> dict:
    out = dict(tests)
    old = out.get(name)
    if kind == "eq" or old is None:
        out[name] = (kind, frozenset({value}))
    elif old[0] == "ne":  # ne after ne: none of both; ne after eq adds nothing (eq already excludes it)
        out[name] = ("ne", old[1] | {value})
    return out


def _merge_siblings(leaves: list[_Leaf]) -> list[_Leaf]:
    """Merge leaves identical but for one field's `eq` values into one leaf with `in`."""
    merged = True
    while merged:
        merged = False
        for i in range(len(leaves)):
            for j in range(i + 1, len(leaves)):
                a, b = leaves[i], leaves[j]
                if a.tests.keys() != b.tests.keys():
                    continue
                differ = [f for f in a.tests if a.tests[f] != b.tests[f]]
                if len(differ) != 1 or a.tests[differ[0]][0] != "eq" or b.tests[differ[0]][0] != "eq":
                    continue
                f = differ[0]
                tests = {**a.tests, f: ("eq", a.tests[f][1] | b.tests[f][1])}
                leaves[i] = _Leaf(tests, a.positives + b.positives, a.negatives + b.negatives,
                                  a.signatures | b.signatures, a.platforms | b.platforms)
                del leaves[j]
                merged = True
                break
            if merged:
                break
    return leaves


def _conditions(check_type: str, tests: dict[str, tuple[str, frozenset[str]]]) -> list[dict[str, Any]]:
    """A leaf's tests as rule conditions: check_type first, then platform, then fields by name."""
    out: list[dict[str, Any]] = [{"field": PINNED_FIELD, "operator": "eq", "value": check_type}]
    for name in sorted(tests, key=lambda f: (f != "platform", f)):
        kind, encoded = tests[name]
        values = [json.loads(v) for v in sorted(encoded)]
        if kind == "eq" and len(values) == 1:
            out.append({"field": name, "operator": "eq", "value": values[0]})
        elif kind == "eq":
            out.append({"field": name, "operator": "in", "value": values})
        else:
            out.extend({"field": name, "operator": "ne", "value": v} for v in values)
    return out


def synthesize(patterns: list[Pattern], runbook_id: str, check_type: str, *, max_depth: int = 3,
               min_samples_leaf: int = 1, leaf_purity: float = 0.9) -> list[Synthesized]:
    """The condition lists that pick `runbook_id` for `check_type` incidents, from the evidence."""
    weights = _labelled(patterns, runbook_id, check_type)
    if not any(label == 1 for _, label in weights):
        return []
    rows = sorted(weights)
    facts = {p.signature: p.facts for p in patterns if p.check_type == check_type}
    fields = {sig: categorical_fields(facts[sig]) for sig, _ in rows}
    leaves = []
    for tests, members in _tree_leaves(rows, [weights[r] for r in rows], fields, max_depth, min_samples_leaf):
        leaf = _Leaf(tests)
        for i in members:
            sig, label = rows[i]
            if label:
                leaf.positives += weights[rows[i]]
                leaf.signatures.add(sig)
                leaf.platforms.add(json.dumps(facts[sig].get("platform")))
            else:
                leaf.negatives += weights[rows[i]]
        if leaf.positives and leaf.positives / (leaf.positives + leaf.negatives) >= leaf_purity:
            if leaf.tests.get("platform", ("ne",))[0] != "eq":
                # Pin the platforms the runbook healed on: an `ne` or no test would reach platforms
                # the runbook never ran on (and whose scripts it does not have).
                leaf.tests["platform"] = ("eq", frozenset(leaf.platforms))
            leaves.append(leaf)
    return [
        Synthesized(runbook_id, check_type, _conditions(check_type, leaf.tests), round(leaf.positives),
                    round(leaf.negatives), frozenset(leaf.signatures))
        for leaf in _merge_siblings(leaves)
    ]


def synthesize_for(candidates: pl.DataFrame, patterns: list[Pattern], **options: Any) -> dict[str, Synthesized]:
    """The synthesized rule covering each candidate's signature, by `signature|runbook_id` (if any)."""
    out: dict[str, Synthesized] = {}
    pairs = candidates.select("runbook_id", "check_type").unique().sort("runbook_id", "check_type")
    for runbook_id, check_type in pairs.iter_rows():
        for synth in synthesize(patterns, runbook_id, check_type, **options):
            for sig in synth.signatures:
                out[f"{sig}|{runbook_id}"] = synth
    return out
