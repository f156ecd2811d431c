"""Validate against NIST's OSCAL 1.2.1 JSON schema: Draft-07, formats checked, and `pattern` through
the `regex` package (the schema's `\\p{L}` classes are beyond Python's `re`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import regex
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError


@cache
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Any:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


def validator(schema_path: Path) -> Any:
    """A Draft-07 validator for the schema file, with format checking and `regex` patterns."""
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return OscalValidator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def errors(schema_path: Path, document: Any) -> list[str]:
    """Every violation, as 'path: message' lines (empty when the document validates)."""
    found = validator(schema_path).iter_errors(document)
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in found]
