"""The L1 rule language: load and validate a rule set once, then match incidents against it.

A rule is JSON or YAML (DESIGN.md "Contracts"): AND-ed conditions over dotted incident fields, an
action, and for `execute_runbook` a runbook id. Operator semantics are documented in
`contracts._conditions`. Loading validates everything (errors name the rule and the condition) and
compiles each rule to one closure; matching looks up the incident's `check_type` in an index so it
only tries the rules that could apply, already sorted so the first hit is the winner.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts._conditions import OPERATORS, Predicate, compile_conditions
from contracts._rule_index import RuleIndex
from contracts.errors import (
    DuplicateRuleError,
    MissingRunbookError,
    RuleSetError,
    RuleSyntaxError,
    UnknownActionError,
    UnknownRunbookError,
)

__all__ = ["ACTIONS", "OPERATORS", "Rule", "RuleSet", "RuleSetError", "load_rules"]

ACTIONS = ("execute_runbook", "escalate", "suppress")
SOURCES = ("builtin", "promoted", "manual")
STATUSES = ("active", "shadow")
_KEYS = {
    "id",
    "priority",
    "enabled",
    "source",
    "conditions",
    "action",
    "runbook_id",
    "params",
    "status",
    "sites",
    "provenance",
    "description",
}
_DEFAULTED = {"priority", "enabled", "source", "params", "status"}


def _require(ok: bool, message: str, rule_id: str, condition: str | None = None) -> None:
    if not ok:
        raise RuleSyntaxError(message, rule_id=rule_id, condition=condition)


@dataclass(frozen=True)
class Rule:
    """One validated, compiled L1 rule; build it with `Rule.from_dict` or directly (same checks)."""

    id: str
    conditions: list[Any]
    action: str
    runbook_id: str | None = None
    priority: int = 0
    enabled: bool = True
    source: str = "manual"
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    sites: list[str] | None = None
    provenance: dict[str, Any] | None = None
    description: str | None = None
    _predicate: Predicate = field(init=False, repr=False, compare=False)
    _sites: frozenset[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rid = self.id
        if not isinstance(rid, str) or not rid.strip():
            raise RuleSyntaxError(f"rule id must be a non-empty string, got {rid!r}")
        sites_ok = self.sites is None or (
            isinstance(self.sites, list) and all(isinstance(s, str) for s in self.sites)
        )
        for ok, message in (
            (isinstance(self.priority, int) and not isinstance(self.priority, bool), "priority: an integer"),
            (isinstance(self.enabled, bool), "enabled: true or false"),
            (self.source in SOURCES, f"source: one of {', '.join(SOURCES)}"),
            (self.status in STATUSES, f"status: one of {', '.join(STATUSES)}"),
            (isinstance(self.params, dict), "params: an object"),
            (self.provenance is None or isinstance(self.provenance, dict), "provenance: an object or null"),
            (self.description is None or isinstance(self.description, str), "description: text"),
            (sites_ok, "sites: a list of site ids or null"),
        ):
            if not ok:
                name = message.split(":")[0]
                got = getattr(self, name)
                raise RuleSyntaxError(f"{name} must be{message[len(name) + 1 :]}, got {got!r}", rule_id=rid)
        if self.action not in ACTIONS:
            raise UnknownActionError(
                f"unknown action {self.action!r} (known: {', '.join(ACTIONS)})", rule_id=rid
            )
        if self.runbook_id is not None and (
            not isinstance(self.runbook_id, str) or not self.runbook_id.strip()
        ):
            raise RuleSyntaxError(
                f"runbook_id must be a non-empty string, got {self.runbook_id!r}", rule_id=rid
            )
        if self.action == "execute_runbook" and self.runbook_id is None:
            raise MissingRunbookError("execute_runbook needs a runbook_id", rule_id=rid)
        # Own deep copies: later edits to the caller's dicts must not change a compiled rule.
        object.__setattr__(self, "conditions", copy.deepcopy(self.conditions))
        object.__setattr__(self, "params", copy.deepcopy(self.params))
        object.__setattr__(self, "_predicate", compile_conditions(self.conditions, rid))
        object.__setattr__(self, "_sites", None if self.sites is None else frozenset(self.sites))

    @classmethod
    def from_dict(cls, data: Any, *, index: int | None = None) -> Rule:
        """Validate one rule object (unknown keys are refused, so a typo cannot silently widen a rule)."""
        if not isinstance(data, Mapping):
            where = f"rules[{index}]" if index is not None else "rule"
            raise RuleSyntaxError(f"{where} must be an object, got {type(data).__name__}")
        rid = data.get("id")
        if not isinstance(rid, str) or not rid.strip():
            where = f"rules[{index}]" if index is not None else "rule"
            raise RuleSyntaxError(f"{where} needs a non-empty string id, got {rid!r}")
        unknown = set(data) - _KEYS
        _require(not unknown, f"unknown keys {sorted(unknown)}", rid)
        _require("conditions" in data, "missing conditions", rid, "conditions")
        _require("action" in data, "missing action", rid)
        # null means "the default" for fields that have one and no meaningful null.
        kwargs = {k: v for k, v in data.items() if not (v is None and k in _DEFAULTED)}
        return cls(**kwargs)

    def __hash__(self) -> int:
        return hash(self.id)

    def to_dict(self) -> dict[str, Any]:
        """The rule as a plain JSON-ready object that `load_rules` reads back to an equal rule."""
        out: dict[str, Any] = {
            "id": self.id,
            "priority": self.priority,
            "enabled": self.enabled,
            "source": self.source,
            "conditions": copy.deepcopy(self.conditions),
            "action": self.action,
            "runbook_id": self.runbook_id,
            "params": copy.deepcopy(self.params),
            "status": self.status,
            "sites": None if self.sites is None else list(self.sites),
            "provenance": copy.deepcopy(self.provenance),
        }
        if self.description is not None:
            out["description"] = self.description
        return out

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True when the conditions hold for these facts (ignores enabled, status and sites)."""
        return self._predicate(_facts(facts))

    def applies_to_site(self, site_id: str | None) -> bool:
        """True when the rule is fleet-wide or lists this site (a canary rule skips unknown sites)."""
        return self._sites is None or (site_id is not None and site_id in self._sites)

    @property
    def precedence(self) -> tuple[int, str]:
        """Sort key: higher priority first, then the smaller id (string order)."""
        return (-self.priority, self.id)


def _facts(incident: Any) -> Mapping[str, Any]:
    """The mapping rules read: a Mapping as-is, or an object's `.facts()` (e.g. `Incident`)."""
    if isinstance(incident, Mapping):
        return incident
    facts = getattr(incident, "facts", None)
    if callable(facts):
        return facts()
    raise TypeError(f"an incident must be a mapping or have .facts(), got {type(incident).__name__}")


class RuleSet:
    """A validated, compiled set of rules with an index on check_type."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise DuplicateRuleError("two rules share this id", rule_id=rule.id)
            seen.add(rule.id)
        enabled = [r for r in self.rules if r.enabled]
        self._active = RuleIndex(r for r in enabled if r.status == "active")
        self._shadow = RuleIndex(r for r in enabled if r.status == "shadow")
        self._enabled = RuleIndex(enabled)
        self._by_id = {r.id: r for r in self.rules}

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return self._by_id.get(rule_id)

    def match(self, incident: Any, *, site_id: str | None = None) -> Rule | None:
        """The winning active, enabled rule in scope for the incident's site, or None."""
        facts = _facts(incident)
        site = site_id if site_id is not None else facts.get("site_id")
        for rule in self._active.candidates(facts):
            if rule._predicate(facts) and rule.applies_to_site(site):
                return rule
        return None

    def match_all(self, incident: Any, *, site_id: str | None = None) -> list[Rule]:
        """Every enabled rule (active or shadow) in scope that matches, in precedence order (backtests)."""
        return self._all(self._enabled, incident, site_id)

    def shadow_matches(self, incident: Any, *, site_id: str | None = None) -> list[Rule]:
        """The enabled shadow rules in scope that match: what they would have done."""
        return self._all(self._shadow, incident, site_id)

    @staticmethod
    def _all(index: RuleIndex, incident: Any, site_id: str | None) -> list[Rule]:
        facts = _facts(incident)
        site = site_id if site_id is not None else facts.get("site_id")
        return [r for r in index.candidates(facts) if r.applies_to_site(site) and r._predicate(facts)]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every rule as a plain object, in load order (what a bundle carries)."""
        return [r.to_dict() for r in self.rules]


def _parse_text(text: str | bytes) -> Any:
    """JSON when it parses as JSON, else YAML (safe loader, timestamps kept as strings like JSON)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RuleSyntaxError(f"rule set is not UTF-8 text: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_error = exc
    try:
        return _yaml_load(text)
    except Exception as exc:  # noqa: BLE001 - any YAML failure is one syntax error for the caller
        if text.lstrip().startswith(("{", "[")):
            raise RuleSyntaxError(f"rule set is not valid JSON: {json_error}") from None
        reason = " ".join(line.strip() for line in str(exc).splitlines()) or type(exc).__name__
        raise RuleSyntaxError(f"rule set is neither JSON nor YAML: {reason}") from None


def _yaml_load(text: str) -> Any:
    # Imported here: YAML is only needed for hand-written rule files, never on the bundle path.
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader without the timestamp resolver, so dates stay strings as they would in JSON."""

    _Loader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def load_rules(source: str | bytes | list | dict, *, runbook_ids: Collection[str] | None = None) -> RuleSet:
    """Validate and compile a rule set from JSON/YAML text, a list of rules, `{"rules": [...]}` or one rule."""
    try:
        return _load(source, runbook_ids)
    except RecursionError:
        # Nesting past the interpreter's stack, in the text or in conditions / params: no real rule set
        # does that, and every step (decoding, copying, compiling, naming it in a message) would overflow.
        raise RuleSyntaxError("rule set is nested too deeply") from None


def _load(source: str | bytes | list | dict, runbook_ids: Collection[str] | None) -> RuleSet:
    data = _parse_text(source) if isinstance(source, str | bytes) else source
    if isinstance(data, Mapping) and "rules" in data:
        data = data["rules"]
    elif isinstance(data, Mapping) and "id" in data:
        data = [data]  # a single rule object, as DESIGN.md shows one
    if not isinstance(data, list):
        raise RuleSyntaxError(
            f"a rule set is a list of rules or {{'rules': [...]}}, got {type(data).__name__}"
        )
    rules = [Rule.from_dict(item, index=i) for i, item in enumerate(data)]
    if runbook_ids is not None:
        known = set(runbook_ids)
        for rule in rules:
            if rule.runbook_id is not None and rule.runbook_id not in known:
                raise UnknownRunbookError(
                    f"runbook {rule.runbook_id!r} is not in the catalog", rule_id=rule.id
                )
    return RuleSet(rules)
