"""The check_type index that lets `RuleSet.match` try only the rules that could apply to an incident.

Three kinds of rule, by what their top-level conditions say about `check_type`:
- *pinned*: an `eq` or `in` on check_type names the values; the rule sits in a bucket per value.
- *filtered*: other check_type conditions (`startswith`, `regex`, `ne`, ...). They depend on the
  check_type alone, so whether they hold is decided once per distinct check_type value and remembered.
- *always*: no top-level check_type condition; tried for every incident (keep these few).
A candidate list for one check_type value is the three merged, sorted by precedence, so the first rule
whose full predicate holds is the winner. The index only narrows: every candidate still runs its whole
predicate, so an index mistake could only cost time, never give a wrong match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from contracts._conditions import MISSING, Predicate, compile_conditions

if TYPE_CHECKING:
    from contracts.rules import Rule

INDEX_FIELD = "check_type"
CACHE_LIMIT = 10_000
"""Distinct check_type values remembered; past it, lists are built per call (garbage input, not a leak)."""


def index_keys(rule: Rule) -> list[Any] | None:
    """The check_type values a rule pins with a top-level eq / in, or None when it pins none."""
    for cond in rule.conditions:
        if not isinstance(cond, Mapping) or cond.get("field") != INDEX_FIELD:
            continue
        op, value = cond.get("operator"), cond.get("value")
        if op == "eq" and isinstance(value, str | int | float):
            return [value]
        if op == "in" and all(isinstance(v, str | int | float) for v in value):
            return list(value)
    return None


def check_type_filter(rule: Rule) -> Predicate | None:
    """The conjunction of a rule's top-level check_type conditions, or None when it has none."""
    leaves = [c for c in rule.conditions if isinstance(c, Mapping) and c.get("field") == INDEX_FIELD]
    return compile_conditions(leaves, rule.id) if leaves else None


def _precedence(rule: Rule) -> tuple[int, str]:
    return rule.precedence


class RuleIndex:
    """Candidate rules per check_type value, pre-sorted by precedence."""

    def __init__(self, rules: Iterable[Rule]):
        ordered = sorted(rules, key=_precedence)
        self._pinned: dict[Any, list[Rule]] = {}
        filtered: list[tuple[Rule, Predicate]] = []
        always: list[Rule] = []
        for rule in ordered:
            keys = index_keys(rule)
            if keys is not None:
                for key in keys:
                    bucket = self._pinned.setdefault(key, [])
                    if not bucket or bucket[-1] is not rule:  # `in ["a", "a"]` names a key twice
                        bucket.append(rule)
            elif (pred := check_type_filter(rule)) is not None:
                filtered.append((rule, pred))
            else:
                always.append(rule)
        self.always: tuple[Rule, ...] = tuple(always)
        self._filtered = tuple(filtered)
        # Every rule that is not pinned: what an incident with an unhashable check_type must try.
        self.unpinned: tuple[Rule, ...] = tuple(sorted((*always, *(r for r, _ in filtered)), key=_precedence))
        self._cache: dict[Any, tuple[Rule, ...]] = {}
        for key in (*self._pinned, MISSING):  # warm: the first incident of a known type pays nothing
            if isinstance(key, str) or key is MISSING:
                self._cache[key] = self._build(key)

    def _build(self, key: Any) -> tuple[Rule, ...]:
        probe = {} if key is MISSING else {INDEX_FIELD: key}
        picked = [rule for rule, pred in self._filtered if pred(probe)]
        return tuple(sorted((*self._pinned.get(key, ()), *self.always, *picked), key=_precedence))

    def candidates(self, facts: Mapping[str, Any]) -> tuple[Rule, ...]:
        """The rules that could match these facts, best first."""
        key = facts.get(INDEX_FIELD, MISSING)
        if key is None:
            key = MISSING  # null reads as absent, as in every condition
        elif key.__class__ is not str and key is not MISSING:
            # Only text keys are cached: 1, 1.0 and True hash alike yet differ for some operators.
            try:
                return self._build(key)
            except TypeError:  # unhashable: no pinned value can equal it
                return self.unpinned
        hit = self._cache.get(key)
        if hit is None:
            hit = self._build(key)
            if len(self._cache) < CACHE_LIMIT:
                self._cache[key] = hit
        return hit
