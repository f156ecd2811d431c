"""The L1 rule language: operators, groups, precedence, scope, validation, and the index vs a reference."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.errors import (
    BadRegexError,
    DuplicateRuleError,
    MissingRunbookError,
    RuleSetError,
    RuleSyntaxError,
    UnknownActionError,
    UnknownOperatorError,
    UnknownRunbookError,
)
from contracts.incidents import Incident
from contracts.rules import OPERATORS, Rule, RuleSet, load_rules

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rules"


def _rule(rule_id: str, *conditions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "conditions": list(conditions), "action": "escalate", **extra}


def _cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    out = {"field": field, "operator": operator}
    if value is not None:
        out["value"] = value
    return out


def _holds(cond: dict[str, Any], facts: dict[str, Any]) -> bool:
    return load_rules([_rule("R", cond)]).match(facts) is not None


# --- the seed rule --------------------------------------------------------------------------------


@pytest.fixture
def seed() -> RuleSet:
    return load_rules((VECTORS / "seed_firewall.json").read_text())


def test_seed_rule_windows_firewall_matches_runbook(seed: RuleSet) -> None:
    rule = seed.match({"check_type": "firewall_status", "platform": "windows"})
    assert rule is not None and rule.id == "L1-FIREWALL-001"
    assert (rule.action, rule.runbook_id) == ("execute_runbook", "RB-WIN-FIREWALL-001")


def test_seed_rule_nixos_no_match(seed: RuleSet) -> None:
    assert seed.match({"check_type": "firewall_status", "platform": "nixos"}) is None


def test_seed_rule_other_check_type_no_match(seed: RuleSet) -> None:
    assert seed.match({"check_type": "bitlocker", "platform": "windows"}) is None


def test_seed_rule_incident_object_accepted(seed: RuleSet) -> None:
    incident = Incident(site_id="s1", host="ws-01", check_type="firewall_status", platform="windows")
    assert seed.match(incident).id == "L1-FIREWALL-001"
    nixos = Incident(site_id="s1", host="nix-01", check_type="firewall_status", platform="nixos")
    assert seed.match(nixos) is None


# --- operators ------------------------------------------------------------------------------------

F = {
    "s": "Windows Server 2022",
    "n": 42,
    "f": 2.5,
    "ns": "17",
    "b": True,
    "lst": ["a", "b", 3],
    "d": {"k": 1, "inner": {"x": "deep"}},
    "null": None,
}

OPERATOR_CASES = [
    # eq / ne, including bool-vs-number and string-vs-number mismatches and a missing field
    ("eq", "s", "Windows Server 2022", True), ("eq", "s", "windows server 2022", False),
    ("eq", "n", 42, True), ("eq", "n", 42.0, True), ("eq", "ns", 17, False), ("eq", "b", 1, False),
    ("eq", "b", True, True), ("eq", "missing", "x", False), ("eq", "null", "x", False),
    ("ne", "s", "other", True), ("ne", "s", "Windows Server 2022", False), ("ne", "missing", "x", True),
    ("ne", "b", 1, True),
    # in / not_in
    ("in", "s", ["x", "Windows Server 2022"], True), ("in", "s", ["x"], False), ("in", "n", [1, 42], True),
    ("in", "b", [1], False), ("in", "missing", ["x"], False), ("in", "lst", [["a", "b", 3]], True),
    ("not_in", "s", ["x"], True), ("not_in", "s", ["Windows Server 2022"], False),
    ("not_in", "missing", ["x"], True),
    # ordering: numbers, numeric strings on either side, incomparable -> false
    ("gt", "n", 41, True), ("gt", "n", 42, False), ("gte", "n", 42, True), ("lt", "f", 3, True),
    ("lte", "f", 2.5, True), ("lte", "f", 2.4, False), ("gt", "ns", 16, True), ("lt", "ns", "100", True),
    ("gt", "n", "4.1e1", True), ("gt", "s", 1, False), ("lt", "s", 1, False), ("gt", "b", 0, False),
    ("gt", "lst", 0, False), ("gt", "d", 0, False), ("gt", "missing", 0, False), ("lte", "missing", 0, False),
    # contains / not_contains: substring, list membership, mapping key
    ("contains", "s", "Server", True), ("contains", "s", "server", False), ("contains", "lst", "a", True),
    ("contains", "lst", 3, True), ("contains", "lst", "c", False), ("contains", "d", "k", True),
    ("contains", "n", "4", False), ("contains", "s", 2022, False), ("contains", "missing", "a", False),
    ("not_contains", "s", "Linux", True), ("not_contains", "s", "Server", False),
    ("not_contains", "missing", "a", True), ("not_contains", "lst", "a", False),
    # startswith / endswith / regex: strings only
    ("startswith", "s", "Windows", True), ("startswith", "s", "Server", False), ("startswith", "n", "4", False),
    ("endswith", "s", "2022", True), ("endswith", "s", "2019", False), ("endswith", "missing", "x", False),
    ("regex", "s", r"Server \d{4}$", True), ("regex", "s", r"^Server", False), ("regex", "n", r"\d", False),
    ("regex", "missing", ".*", False),
    # exists / not_exists: null counts as absent
    ("exists", "s", None, True), ("exists", "missing", None, False), ("exists", "null", None, False),
    ("exists", "d.inner.x", None, True), ("not_exists", "missing", None, True), ("not_exists", "s", None, False),
    ("not_exists", "null", None, True),
]  # fmt: skip


@pytest.mark.parametrize(("operator", "field", "value", "expected"), OPERATOR_CASES)
def test_operator_case_gives_documented_result(operator: str, field: str, value: Any, expected: bool) -> None:
    assert _holds(_cond(field, operator, value), F) is expected


def test_operator_cases_cover_all_fifteen_operators() -> None:
    assert {case[0] for case in OPERATOR_CASES} == set(OPERATORS)
    assert len(OPERATORS) == 15


@pytest.mark.parametrize(
    ("field", "expected"),
    [("d.inner.x", True), ("d.k.x", False), ("s.x", False), ("d.nope.x", False), ("d.inner", False)],
)
def test_dotted_field_walks_nested_mappings_else_missing(field: str, expected: bool) -> None:
    assert _holds(_cond(field, "eq", "deep"), F) is expected


def test_dotted_field_incident_details_profile_matches() -> None:
    incident = Incident(
        site_id="s", host="h", check_type="audit_policy", platform="windows", details={"profile": "hipaa"}
    )
    assert _holds(_cond("details.profile", "eq", "hipaa"), incident.facts())


# --- groups ---------------------------------------------------------------------------------------


def test_groups_nested_all_any_not_evaluate() -> None:
    ruleset = load_rules((VECTORS / "valid_nested_groups.yaml").read_text())
    base = {"check_type": "audit_logging", "platform": "windows", "details": {"profile": "clinic"}}
    assert ruleset.match(base).id == "L1-AUDIT-001"
    assert ruleset.match({**base, "platform": "linux"}) is None  # any: linux needs details.auditd
    linux = {**base, "platform": "linux", "details": {"profile": "clinic", "auditd": "off"}}
    assert ruleset.match(linux).id == "L1-AUDIT-001"
    assert ruleset.match({**base, "details": {"profile": "lab-3"}}) is None  # not: startswith lab-
    assert ruleset.match({**base, "platform": "macos"}) is None


# --- enabled, precedence, scope, shadow -------------------------------------------------------------


def test_disabled_rule_never_matches() -> None:
    ruleset = load_rules([_rule("A", _cond("check_type", "exists"), enabled=False)])
    assert ruleset.match({"check_type": "x"}) is None
    assert ruleset.match_all({"check_type": "x"}) == []


def test_precedence_higher_priority_wins_over_smaller_id() -> None:
    rules = [
        _rule("A", _cond("check_type", "eq", "x"), priority=1),
        _rule("B", _cond("check_type", "eq", "x"), priority=5),
    ]
    assert load_rules(rules).match({"check_type": "x"}).id == "B"


def test_precedence_tie_goes_to_smaller_id_in_string_order() -> None:
    rules = [_rule(rid, _cond("check_type", "eq", "x"), priority=3) for rid in ("R-10", "R-9", "R-2")]
    ruleset = load_rules(rules)
    assert ruleset.match({"check_type": "x"}).id == "R-10"
    assert [r.id for r in ruleset.match_all({"check_type": "x"})] == ["R-10", "R-2", "R-9"]


def test_precedence_unindexed_rule_beats_lower_indexed_rule() -> None:
    rules = [
        _rule("INDEXED", _cond("check_type", "eq", "x"), priority=1),
        _rule("UNINDEXED", _cond("platform", "eq", "windows"), priority=9),
    ]
    ruleset = load_rules(rules)
    assert ruleset.match({"check_type": "x", "platform": "windows"}).id == "UNINDEXED"
    assert ruleset.match({"check_type": "x", "platform": "linux"}).id == "INDEXED"
    assert ruleset.match({"check_type": "y", "platform": "windows"}).id == "UNINDEXED"


def test_site_scoped_rule_applies_only_to_listed_sites() -> None:
    rules = [
        _rule("CANARY", _cond("check_type", "exists"), sites=["site-a"], priority=9),
        _rule("FLEET", _cond("check_type", "exists")),
    ]
    ruleset = load_rules(rules)
    assert ruleset.match({"check_type": "x", "site_id": "site-a"}).id == "CANARY"
    assert ruleset.match({"check_type": "x", "site_id": "site-b"}).id == "FLEET"
    assert ruleset.match({"check_type": "x"}).id == "FLEET"  # unknown site: canary rules skip it
    assert ruleset.match({"check_type": "x", "site_id": "site-b"}, site_id="site-a").id == "CANARY"
    assert [r.id for r in ruleset.match_all({"check_type": "x", "site_id": "site-b"})] == ["FLEET"]


def test_shadow_rule_not_matched_but_reported() -> None:
    ruleset = load_rules((VECTORS / "valid_nested_groups.yaml").read_text())
    incident = {"check_type": "audit_policy", "platform": "windows", "site_id": "site-x"}
    assert ruleset.match(incident).id == "L1-AUDIT-001"
    assert [r.id for r in ruleset.shadow_matches(incident)] == ["L1-AUDIT-002-SHADOW"]
    assert [r.id for r in ruleset.match_all(incident)] == ["L1-AUDIT-002-SHADOW", "L1-AUDIT-001"]


def test_canary_yaml_date_value_stays_string() -> None:
    ruleset = load_rules((VECTORS / "valid_nested_groups.yaml").read_text())
    incident = {"check_type": "audit_policy", "site_id": "site-canary", "observed": "2024-01-01"}
    assert ruleset.match(incident).id == "L1-AUDIT-003-CANARY"


# --- loading and validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "error", "rule_id", "condition"),
    [
        ("invalid_unknown_operator.json", UnknownOperatorError, "L1-BAD-OP", "conditions[1].any[2]"),
        ("invalid_bad_regex.yaml", BadRegexError, "L1-BAD-REGEX", "conditions[1]"),
        ("invalid_unknown_action.json", UnknownActionError, "L1-BAD-ACTION", None),
        ("invalid_missing_runbook.yaml", MissingRunbookError, "L1-NO-RUNBOOK", None),
        ("invalid_duplicate_id.json", DuplicateRuleError, "L1-TWICE", None),
        ("invalid_not_a_document.yaml", RuleSyntaxError, None, None),
    ],
)
def test_load_invalid_vector_raises_named_error(
    vector: str, error: type, rule_id: str | None, condition: str | None
) -> None:
    with pytest.raises(RuleSetError) as info:
        load_rules((VECTORS / vector).read_bytes())
    assert type(info.value) is error
    assert info.value.rule_id == rule_id
    assert info.value.condition == condition
    if rule_id:
        assert rule_id in str(info.value)
    if condition:
        assert condition in str(info.value)


@pytest.mark.parametrize(
    ("condition", "where"),
    [
        (_cond("n", "gt", "many"), "conditions[0]"),
        (_cond("n", "in", "x"), "conditions[0]"),
        (_cond("n", "exists", True), "conditions[0]"),
        (_cond("n", "eq"), "conditions[0]"),
        (_cond("n", "startswith", 3), "conditions[0]"),
        ({"field": "", "operator": "eq", "value": 1}, "conditions[0]"),
        ({"field": "a", "operator": "eq", "value": 1, "vlaue": 2}, "conditions[0]"),
        ({"all": []}, "conditions[0]"),
        ({"any": [_cond("a", "exists"), {"not": {"all": "x"}}]}, "conditions[0].any[1].not"),
        ({"all": [_cond("a", "exists")], "any": [_cond("a", "exists")]}, "conditions[0]"),
        ("check_type == x", "conditions[0]"),
    ],
)
def test_load_malformed_condition_raises_syntax_error_naming_it(condition: Any, where: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        load_rules([_rule("R-1", condition)])
    assert type(info.value) is RuleSyntaxError
    assert info.value.rule_id == "R-1" and info.value.condition == where
    assert f"rule R-1, condition {where}:" in str(info.value)


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "R", "conditions": [], "action": "escalate"},
        {"id": "R", "action": "escalate"},
        {"id": "R", "conditions": [_cond("a", "exists")], "action": "escalate", "priorty": 5},
        {"id": "R", "conditions": [_cond("a", "exists")], "action": "escalate", "priority": "high"},
        {"id": "R", "conditions": [_cond("a", "exists")], "action": "escalate", "status": "canary"},
        {"id": "R", "conditions": [_cond("a", "exists")], "action": "escalate", "sites": "site-a"},
        {"id": "", "conditions": [_cond("a", "exists")], "action": "escalate"},
        "not a rule",
    ],
)
def test_load_malformed_rule_raises_syntax_error(rule: Any) -> None:
    with pytest.raises(RuleSyntaxError):
        load_rules([rule])


@pytest.mark.parametrize("text", [b"\xff\xfe\x00garbage", "just a string", "42", '{"rules": 5}', "[1, 2"])
def test_load_not_a_rule_document_raises_syntax_error(text: str | bytes) -> None:
    with pytest.raises(RuleSyntaxError):
        load_rules(text)


def test_load_unknown_runbook_with_catalog_raises() -> None:
    text = (VECTORS / "seed_firewall.json").read_text()
    assert len(load_rules(text, runbook_ids={"RB-WIN-FIREWALL-001"})) == 1
    with pytest.raises(UnknownRunbookError) as info:
        load_rules(text, runbook_ids={"RB-OTHER"})
    assert info.value.rule_id == "L1-FIREWALL-001" and "RB-WIN-FIREWALL-001" in str(info.value)


def test_load_yaml_and_json_give_equal_rules() -> None:
    from_yaml = load_rules((VECTORS / "valid_nested_groups.yaml").read_text())
    from_json = load_rules(json.dumps({"rules": from_yaml.to_dicts()}))
    assert from_json.to_dicts() == from_yaml.to_dicts()
    assert [r.id for r in from_json] == ["L1-AUDIT-001", "L1-AUDIT-002-SHADOW", "L1-AUDIT-003-CANARY"]


def test_rule_to_dict_round_trips_through_loader(seed: RuleSet) -> None:
    rule = seed.rules[0]
    again = load_rules([rule.to_dict()]).rules[0]
    assert again == rule and again.to_dict() == rule.to_dict()
    assert again.source == "builtin" and again.status == "active" and again.sites is None


def test_rule_later_edit_of_source_dict_does_not_change_rule() -> None:
    data = _rule("R", _cond("check_type", "eq", "x"))
    ruleset = load_rules([data])
    data["conditions"][0]["value"] = "y"
    assert ruleset.match({"check_type": "x"}) is not None
    assert ruleset.rules[0].conditions[0]["value"] == "x"


def test_rule_direct_construction_is_validated() -> None:
    with pytest.raises(UnknownOperatorError):
        Rule(id="R", conditions=[_cond("a", "like", "x")], action="escalate")


# --- index edge cases -------------------------------------------------------------------------------


def test_index_unhashable_check_type_tries_unpinned_rules() -> None:
    ruleset = load_rules([
        _rule("PINNED", _cond("check_type", "eq", "a"), priority=9),
        _rule("LIST", _cond("check_type", "contains", "a")),
    ])  # fmt: skip
    assert ruleset.match({"check_type": ["a", "b"]}).id == "LIST"
    assert ruleset.match({"check_type": {"a": 1}}).id == "LIST"


def test_index_missing_or_null_check_type_matches_not_exists_rule() -> None:
    ruleset = load_rules(
        [_rule("NONE", _cond("check_type", "not_exists")), _rule("A", _cond("check_type", "eq", "a"))]
    )
    assert ruleset.match({}).id == "NONE"
    assert ruleset.match({"check_type": None}).id == "NONE"
    assert ruleset.match({"check_type": "a"}).id == "A"


def test_index_number_and_bool_check_types_not_confused() -> None:
    ruleset = load_rules(
        [_rule("GT0", _cond("check_type", "gt", 0)), _rule("TRUE", _cond("check_type", "eq", True))]
    )
    assert ruleset.match({"check_type": True}).id == "TRUE"
    assert ruleset.match({"check_type": 1}).id == "GT0"
    assert ruleset.match({"check_type": True}).id == "TRUE"


def test_index_unseen_check_type_uses_prefix_and_pattern_rules() -> None:
    ruleset = load_rules([
        _rule("PREFIX", _cond("check_type", "startswith", "fire")),
        _rule("PATTERN", _cond("check_type", "regex", "_policy$"), priority=1),
    ])  # fmt: skip
    assert ruleset.match({"check_type": "firewall_status"}).id == "PREFIX"
    assert ruleset.match({"check_type": "firewall_policy"}).id == "PATTERN"
    assert ruleset.match({"check_type": "ntp_status"}) is None
    assert [r.id for r in ruleset.match_all({"check_type": "firewall_policy"})] == ["PATTERN", "PREFIX"]


# --- the index against a brute-force reference ------------------------------------------------------


def _ref_get(facts: dict[str, Any], field: str) -> Any:
    value: Any = facts
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _ref_num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        try:
            return float(v) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", v.strip()) else None
        except ValueError:
            return None
    return None


def _ref_eq(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _ref_eval(cond: dict[str, Any], facts: dict[str, Any]) -> bool:
    """A plain interpreter of the documented semantics, sharing no code with the compiler."""
    if "all" in cond:
        return all(_ref_eval(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(_ref_eval(c, facts) for c in cond["any"])
    if "not" in cond:
        return not _ref_eval(cond["not"], facts)
    op, v = cond["operator"], cond.get("value")
    if op in ("ne", "not_in", "not_contains", "not_exists"):
        positive = {"ne": "eq", "not_in": "in", "not_contains": "contains", "not_exists": "exists"}[op]
        return not _ref_eval({**cond, "operator": positive}, facts)
    a = _ref_get(facts, cond["field"])
    if a is None:
        return False
    if op == "eq":
        return _ref_eq(a, v)
    if op == "in":
        return any(_ref_eq(a, x) for x in v)
    if op in ("gt", "gte", "lt", "lte"):
        x, y = _ref_num(a), _ref_num(v)
        if x is None:
            return False
        return {"gt": x > y, "gte": x >= y, "lt": x < y, "lte": x <= y}[op]
    if op == "contains":
        if isinstance(a, str):
            return isinstance(v, str) and v in a
        if isinstance(a, dict):
            return v in a
        return isinstance(a, list) and any(_ref_eq(i, v) for i in a)
    if op == "startswith":
        return isinstance(a, str) and a.startswith(v)
    if op == "endswith":
        return isinstance(a, str) and a.endswith(v)
    if op == "regex":
        return isinstance(a, str) and re.search(v, a) is not None
    return op == "exists"


CHECKS = ["firewall", "bitlocker", "ntp", "audit"]
_values = st.one_of(
    st.sampled_from(["windows", "linux", "nixos", "firewall", "ntp", "5", "x"]),
    st.integers(-2, 8),
    st.booleans(),
)
_fields = st.sampled_from(["check_type", "platform", "severity", "details.n", "details.tag"])


@st.composite
def _leaf(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(OPERATORS))
    field = draw(_fields)
    if op in ("exists", "not_exists"):
        return {"field": field, "operator": op}
    if op in ("in", "not_in"):
        return {"field": field, "operator": op, "value": draw(st.lists(_values, max_size=3))}
    if op in ("gt", "gte", "lt", "lte"):
        return {"field": field, "operator": op, "value": draw(st.integers(-2, 8))}
    if op in ("startswith", "endswith", "contains", "not_contains", "regex"):
        return {
            "field": field,
            "operator": op,
            "value": draw(st.sampled_from(["win", "ux", "n", "5", "^f", "s$"])),
        }
    return {"field": field, "operator": op, "value": draw(_values)}


_conditions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=4,
)


@st.composite
def _rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 12))):
        conds = draw(st.lists(_conditions, min_size=0, max_size=2))
        pin = draw(st.sampled_from(["eq", "in", None]))
        if pin == "eq":
            conds.insert(0, {"field": "check_type", "operator": "eq", "value": draw(st.sampled_from(CHECKS))})
        elif pin == "in":
            value = draw(st.lists(st.sampled_from(CHECKS), min_size=1, max_size=3))
            conds.insert(
                draw(st.integers(0, len(conds))), {"field": "check_type", "operator": "in", "value": value}
            )
        if not conds:
            conds = [{"field": "check_type", "operator": "exists"}]
        out.append({
            "id": f"R{draw(st.integers(0, 30)):02d}-{i}", "priority": draw(st.integers(0, 3)),
            "enabled": draw(st.booleans()), "status": draw(st.sampled_from(["active", "active", "shadow"])),
            "sites": draw(st.sampled_from([None, None, ["s1"], ["s2", "s3"]])),
            "conditions": conds, "action": "escalate",
        })  # fmt: skip
    return out


_incidents = st.fixed_dictionaries(
    {"check_type": st.one_of(st.sampled_from(CHECKS), st.none(), st.integers(0, 2))},
    optional={
        "platform": st.sampled_from(["windows", "linux", "nixos"]),
        "severity": st.sampled_from(["low", "high"]),
        "site_id": st.sampled_from(["s1", "s2", "s9"]),
        "details": st.fixed_dictionaries(
            {},
            optional={
                "n": st.one_of(st.integers(-3, 9), st.sampled_from(["5", "x"]), st.booleans()),
                "tag": st.sampled_from(["win10", "ux", "ntp5"]),
            },
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=_rules(), incidents=st.lists(_incidents, min_size=1, max_size=5))
def test_index_match_equals_brute_force_reference(
    rules: list[dict[str, Any]], incidents: list[dict[str, Any]]
) -> None:
    ids = [r["id"] for r in rules]
    if len(set(ids)) != len(ids):
        return
    ruleset = load_rules(rules)
    ordered = sorted(rules, key=lambda r: (-r["priority"], r["id"]))
    for incident in incidents:
        site = incident.get("site_id")
        hits = [
            r["id"] for r in ordered
            if r["enabled"] and (r["sites"] is None or site in r["sites"])
            and all(_ref_eval(c, incident) for c in r["conditions"])
        ]  # fmt: skip
        active = [h for h in hits if next(r for r in rules if r["id"] == h)["status"] == "active"]
        winner = ruleset.match(incident)
        assert (winner.id if winner else None) == (active[0] if active else None)
        assert [r.id for r in ruleset.match_all(incident)] == hits
        assert [r.id for r in ruleset.shadow_matches(incident)] == [h for h in hits if h not in active]
