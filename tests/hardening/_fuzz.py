"""Hypothesis strategies for hostile bytes: random blobs, and structure-aware mutations of a valid sample.

A mutation keeps most of the sample intact so the input gets past the first check and reaches the
deeper parsing code: delete a key, swap a value for one of the wrong type, a huge number, a deep
nest or an odd string; then, at the byte level, flip a byte, truncate, or splice in non-UTF-8.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DEEP = 5000
"""Nesting depth of deep values in bytes: past Python's recursion limit, so a naive decoder overflows."""
DEEP_OBJECT = 500
"""Nesting depth of deep values handed over as objects: what a JSON decoder can actually produce."""

FUZZ = settings(
    max_examples=150,
    deadline=2000,  # ms: a parser that needs longer on a small input is a hang for our purposes
    derandomize=True,  # the same examples on every run, so CI is deterministic
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
"""The settings every parser fuzz test uses (override max_examples where a call is costly)."""

# Deep nests stay markers inside documents (deepcopy and json.dumps would recurse into them) and are
# expanded only when the document becomes bytes or the object handed to the parser.
_DEEP_LIST = "\x00deep-list\x00"
_DEEP_DICT = "\x00deep-dict\x00"
_DEEP_TEXT = {_DEEP_LIST: "[" * DEEP + "0" + "]" * DEEP, _DEEP_DICT: '{"a":' * DEEP + "0" + "}" * DEEP}


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**400, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", "\u0000", "\ud800", "NaN", "-1", "9" * 400, "x" * 5000, "1970-01-01T00:00:00",
                     "9999-12-31T23:59:59Z", "0000-00-00", "../../etc/passwd", "%s%n{0}", "A" * 64]),
)
HOSTILE_VALUES = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=4),
    st.dictionaries(st.text(max_size=8), _scalars, max_size=4),
    st.sampled_from([_DEEP_LIST, _DEEP_DICT]),
)
"""A JSON value of any type, including the awkward ones (deep nests stand in as markers until written)."""

def _deep(marker: str) -> Any:
    value: Any = 0
    for _ in range(DEEP_OBJECT):
        value = [value] if marker == _DEEP_LIST else {"a": value}
    return value


def materialize(doc: Any) -> Any:
    """The document with its deep-nest markers expanded into real nested objects."""
    if isinstance(doc, str) and doc in _DEEP_TEXT:
        return _deep(doc)
    if isinstance(doc, dict):
        return {k: materialize(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [materialize(v) for v in doc]
    return doc


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every location in a JSON document (the root is the empty path)."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node[:8]):
            out.extend(_paths(value, (*path, index)))
    return out


def _set(doc: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


@st.composite
def mutated_doc(draw: st.DrawFn, sample: Any, max_edits: int = 3) -> Any:
    """The sample document with one to `max_edits` structural edits."""
    doc = copy.deepcopy(sample)
    for _ in range(draw(st.integers(1, max_edits))):
        path = draw(st.sampled_from(_paths(doc)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap", "add_key"]))
        if action == "delete" and path:
            doc = _set(doc, path, None, delete=True)
        elif action == "wrap":
            current = doc
            for step in path:
                current = current[step]
            doc = _set(doc, path, draw(st.sampled_from([[current], {"x": current}, str(current)[:100]])))
        elif action == "add_key":
            current = doc
            for step in path:
                current = current[step]
            if isinstance(current, dict):
                current[draw(st.text(max_size=10))] = draw(HOSTILE_VALUES)
            else:
                doc = _set(doc, path, draw(HOSTILE_VALUES))
        else:
            doc = _set(doc, path, draw(HOSTILE_VALUES))
    return doc


def dumps(doc: Any, *, ascii: bool = False) -> bytes:
    """JSON bytes as a careless or hostile peer writes them: NaN allowed, and lone surrogates either as
    raw (invalid UTF-8) bytes or, with `ascii`, as `\\ud800` escapes that decoders turn into str."""
    text = json.dumps(doc, allow_nan=True, ensure_ascii=ascii)
    for marker, nested in _DEEP_TEXT.items():
        text = text.replace(json.dumps(marker, ensure_ascii=False), nested)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """The bytes with a byte flipped, a cut, a splice of non-UTF-8, or a chunk duplicated."""
    if not data:
        return draw(st.binary(max_size=64))
    action = draw(st.sampled_from(["flip", "truncate", "splice", "duplicate", "zero"]))
    at = draw(st.integers(0, len(data) - 1))
    if action == "flip":
        bit = 1 << draw(st.integers(0, 7))
        return data[:at] + bytes([data[at] ^ bit]) + data[at + 1:]
    if action == "truncate":
        return data[:at]
    if action == "splice":
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf"]))
        return data[:at] + junk + data[at:]
    if action == "duplicate":
        end = draw(st.integers(at, min(len(data), at + 64)))
        return data[:end] + data[at:end] * draw(st.integers(1, 50)) + data[end:]
    return data[:at] + b"\x00" * draw(st.integers(1, 16)) + data[at + 16:]


def hostile_bytes(sample_doc: Any | None = None, sample_bytes: bytes | None = None) -> st.SearchStrategy[bytes]:
    """Random bytes, byte-level mutations of the sample's bytes, and structural mutations of its JSON."""
    options = [st.binary(max_size=512)]
    raw = sample_bytes if sample_bytes is not None else (dumps(sample_doc) if sample_doc is not None else None)
    if raw is not None:
        options.append(byte_mutations(raw))
    if sample_doc is not None:
        options.append(mutated_doc(sample_doc).map(dumps))
        options.append(mutated_doc(sample_doc).map(lambda d: dumps(d, ascii=True)))
        options.append(mutated_doc(sample_doc).map(dumps).flatmap(byte_mutations))
    return st.one_of(*options)
