"""Compile L1 rule conditions into plain closures once, so matching never re-reads the rule text.

Semantics of the 15 operators (the reference for rule authors and for `contracts.rules`):

- A field is a dotted path walked through nested mappings (`details.profile`). A field is *missing*
  when a step is absent, a step is not a mapping, or the value is null (JSON null counts as absent).
- `eq` is plain equality, case-sensitive, except that booleans never equal numbers (`true` is not `1`)
  and strings never equal numbers (`"3"` is not `3`). `in` is `eq` against any element of a list value.
- `gt gte lt lte` compare numbers; a string that reads as a decimal number (`"42"`, `"-1.5e3"`) counts
  as that number on either side. Anything else (booleans, words, lists, missing) makes them false.
- `contains`: substring when the field and value are strings, `eq`-membership when the field is a list,
  key membership when the field is a mapping; false otherwise.
- `startswith`, `endswith`, `regex` (`re.search`) apply to string fields only; false otherwise.
- `exists` is true when the field is present (and not null); it takes no value.
- The negative operators `ne not_in not_contains not_exists` are the exact complements of `eq in
  contains exists`. So a missing field makes every positive operator false and every negative one true:
  `platform ne nixos` holds for an incident with no platform at all.
- No operator raises at match time: incomparable values are simply false (or true, for a negation).

Groups nest: `{"all": [...]}` (every member holds), `{"any": [...]}` (at least one holds), `{"not": c}`.
Empty groups are refused at load time: an empty `all` would be vacuously true and match everything,
and a rule that matches everything should say so explicitly (`check_type exists`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from contracts.errors import BadRegexError, RuleSyntaxError, UnknownOperatorError

Predicate = Callable[[Mapping[str, Any]], bool]

OPERATORS = (
    "eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "not_contains",
    "startswith", "endswith", "regex", "exists", "not_exists",
)  # fmt: skip
_NEGATIONS = {"ne": "eq", "not_in": "in", "not_contains": "contains", "not_exists": "exists"}
_NO_VALUE = {"exists", "not_exists"}
_LEAF_KEYS = {"field", "operator", "value"}
_GROUP_KEYS = {"all", "any", "not"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FIELD = re.compile(r"[^.\s]+(\.[^.\s]+)*")


class _Missing:
    """The value of a field an incident does not have."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def resolve(facts: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted path, or MISSING (absent step, non-mapping step, or null)."""
    value: Any = facts
    for part in path:
        if not isinstance(value, Mapping):
            return MISSING
        value = value.get(part, MISSING)
    return MISSING if value is None else value


def values_equal(a: Any, b: Any) -> bool:
    """`eq` semantics: Python equality, but a bool never equals a number."""
    if isinstance(a, bool) is not isinstance(b, bool):
        return False
    return a == b


def as_number(value: Any) -> int | float | None:
    """A number for the ordering operators, or None when the value is not numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return float(text)
    return None


def contains(actual: Any, value: Any) -> bool:
    """`contains` semantics: substring, list membership or mapping key; false for anything else."""
    if isinstance(actual, str):
        return isinstance(value, str) and value in actual
    if isinstance(actual, list | tuple):
        return any(values_equal(item, value) for item in actual)
    if isinstance(actual, Mapping):
        try:
            return value in actual
        except TypeError:  # an unhashable value cannot be a key
            return False
    return False


def _getter(field: str) -> Callable[[Mapping[str, Any]], Any]:
    path = tuple(field.split("."))
    if len(path) == 1:
        key = path[0]

        def get_flat(facts: Mapping[str, Any]) -> Any:
            value = facts.get(key, MISSING)
            return MISSING if value is None else value

        return get_flat
    return lambda facts: resolve(facts, path)


def _positive(
    op: str, get: Callable[[Mapping[str, Any]], Any], value: Any, where: str, rule_id: str
) -> Predicate:
    """The closure for a positive operator (negations wrap it)."""
    if op == "eq":
        if isinstance(value, str):  # the common case: only a string equals a string
            return lambda f: get(f) == value
        return lambda f: values_equal(get(f), value)
    if op == "in":
        if all(isinstance(v, str) for v in value):
            members = frozenset(value)
            return lambda f: (a := get(f)).__class__ is str and a in members
        options = tuple(value)
        return lambda f: (a := get(f)) is not MISSING and any(values_equal(a, v) for v in options)
    if op in ("gt", "gte", "lt", "lte"):
        bound = as_number(value)
        if bound is None:
            raise RuleSyntaxError(f"{op} needs a number, got {value!r}", rule_id=rule_id, condition=where)
        compare = {
            "gt": lambda a: a > bound, "gte": lambda a: a >= bound,
            "lt": lambda a: a < bound, "lte": lambda a: a <= bound,
        }[op]  # fmt: skip
        return lambda f: (a := as_number(get(f))) is not None and compare(a)
    if op == "contains":
        return lambda f: contains(get(f), value)
    if op == "exists":
        return lambda f: get(f) is not MISSING
    if not isinstance(value, str):
        raise RuleSyntaxError(f"{op} needs a string, got {value!r}", rule_id=rule_id, condition=where)
    if op == "startswith":
        return lambda f: isinstance(a := get(f), str) and a.startswith(value)
    if op == "endswith":
        return lambda f: isinstance(a := get(f), str) and a.endswith(value)
    # regex: compiled here, once; a pattern that does not compile is a load-time error.
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise BadRegexError(
            f"regex {value!r} does not compile: {exc}", rule_id=rule_id, condition=where
        ) from None
    search = pattern.search
    return lambda f: isinstance(a := get(f), str) and search(a) is not None


def _leaf(cond: Mapping[str, Any], where: str, rule_id: str) -> Predicate:
    extra = set(cond) - _LEAF_KEYS
    if extra:
        raise RuleSyntaxError(f"unknown keys {sorted(extra)}", rule_id=rule_id, condition=where)
    field, op = cond.get("field"), cond.get("operator")
    if not isinstance(field, str) or not _FIELD.fullmatch(field):
        raise RuleSyntaxError(f"field must be a dotted path, got {field!r}", rule_id=rule_id, condition=where)
    if op not in OPERATORS:
        raise UnknownOperatorError(
            f"unknown operator {op!r} (known: {', '.join(OPERATORS)})", rule_id=rule_id, condition=where
        )
    value = cond.get("value")
    if op in _NO_VALUE:
        if value is not None:
            raise RuleSyntaxError(f"{op} takes no value", rule_id=rule_id, condition=where)
    elif value is None:
        raise RuleSyntaxError(f"{op} needs a value", rule_id=rule_id, condition=where)
    elif op in ("in", "not_in") and not isinstance(value, list):
        raise RuleSyntaxError(f"{op} needs a list value, got {value!r}", rule_id=rule_id, condition=where)
    positive = _positive(_NEGATIONS.get(op, op), _getter(field), value, where, rule_id)
    if op in _NEGATIONS:
        return lambda f: not positive(f)
    return positive


def all_of(preds: list[Predicate]) -> Predicate:
    """A predicate true when every one holds (the list is never empty: callers refuse that)."""
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda f: first(f) and second(f)
    members = tuple(preds)
    return lambda f: all(p(f) for p in members)


def compile_condition(cond: Any, where: str, rule_id: str) -> Predicate:
    """One condition (leaf or group) as a predicate; `where` names it in errors (`conditions[0].any[2]`)."""
    if not isinstance(cond, Mapping):
        raise RuleSyntaxError(
            f"a condition must be an object, got {cond!r}", rule_id=rule_id, condition=where
        )
    groups = _GROUP_KEYS & set(cond)
    if not groups:
        return _leaf(cond, where, rule_id)
    if len(cond) != 1:
        raise RuleSyntaxError(
            f"a group has exactly one key of all/any/not, got {sorted(cond)}",
            rule_id=rule_id,
            condition=where,
        )
    kind = next(iter(groups))
    body = cond[kind]
    if kind == "not":
        inner = compile_condition(body, f"{where}.not", rule_id)
        return lambda f: not inner(f)
    if not isinstance(body, list) or not body:
        # Fail closed: an empty `all` would be vacuously true, an empty `any` silently never true.
        raise RuleSyntaxError(f"{kind} needs a non-empty list", rule_id=rule_id, condition=where)
    preds = [compile_condition(c, f"{where}.{kind}[{i}]", rule_id) for i, c in enumerate(body)]
    if kind == "all":
        return all_of(preds)
    members = tuple(preds)
    return lambda f: any(p(f) for p in members)


def compile_conditions(conditions: Any, rule_id: str) -> Predicate:
    """A rule's top-level condition list (AND-ed) as one predicate."""
    if not isinstance(conditions, list) or not conditions:
        raise RuleSyntaxError(
            "conditions must be a non-empty list (use `check_type exists` to match everything)",
            rule_id=rule_id,
            condition="conditions",
        )
    return all_of([compile_condition(c, f"conditions[{i}]", rule_id) for i, c in enumerate(conditions)])
