"""CPE 2.3 formatted strings and version ordering, the two primitives CVE matching stands on."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from warehouse.errors import CpeParseError

ANY = "*"
NA = "-"
FIELDS = ("part", "vendor", "product", "version", "update", "edition", "language",
          "sw_edition", "target_sw", "target_hw", "other")
_PARTS = frozenset({"a", "o", "h", ANY})
# Characters that never need a backslash in a formatted string (NISTIR 7695 6.2); checking a
# whole component against this once avoids the per-character loop for the 99% plain case.
_PLAIN = re.compile(r"[a-z0-9_.\-]+")
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
# Words that mark a pre-release: they sort before the release they lead to (2.0-rc1 < 2.0).
# Single letters are not in here on purpose: OpenSSL's 1.0.1g is *after* 1.0.1.
_PRE = {"dev": 0, "snapshot": 1, "alpha": 2, "beta": 3, "milestone": 4, "pre": 5, "preview": 5,
        "rc": 6, "cr": 6}
_TOKEN = re.compile(r"\d+|[a-z]+")
_END = (1, 0, "")
_ZERO = (3, 0, "")


class Cpe(NamedTuple):
    """A parsed CPE 2.3 name: 11 components in canonical escaped form (`*` = ANY, `-` = NA)."""

    part: str
    vendor: str
    product: str
    version: str
    update: str
    edition: str
    language: str
    sw_edition: str
    target_sw: str
    target_hw: str
    other: str

    def to_string(self) -> str:
        """The canonical formatted string, `cpe:2.3:...`."""
        return "cpe:2.3:" + ":".join(self)


def _split(text: str) -> list[str]:
    if "\\" not in text:
        return text.split(":")
    fields, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                raise CpeParseError(f"CPE ends with a lone backslash: {text!r}")
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    fields.append("".join(cur))
    return fields


def _canonical(value: str, text: str) -> str:
    """Lower-case a component and escape exactly the characters the spec says need it."""
    low = value.lower()
    if low in (ANY, NA) or _PLAIN.fullmatch(low):
        return low
    if not low:
        raise CpeParseError(f"CPE has an empty component: {text!r}")
    out, i = [], 0
    while i < len(low):
        ch = low[i]
        if ch == "\\":
            if i + 1 >= len(low):
                raise CpeParseError(f"CPE component ends with a lone backslash: {text!r}")
            lit = low[i + 1]
            out.append(lit if lit in _SAFE else "\\" + lit)
            i += 2
            continue
        if ch.isspace() or not ch.isprintable():
            raise CpeParseError(f"CPE contains whitespace or a control character: {text!r}")
        # Unescaped * and ? are CPE wildcards; every other punctuation must have been escaped,
        # but real feeds are lax, so escape it here rather than refuse the record.
        out.append(ch if ch in _SAFE or ch in "*?" else "\\" + ch)
        i += 1
    return "".join(out)


@lru_cache(maxsize=65536)
def parse_cpe(text: str) -> Cpe:
    """Parse a `cpe:2.3:` formatted string; raises CpeParseError on anything else."""
    if not isinstance(text, str):
        raise CpeParseError(f"CPE must be a string, got {type(text).__name__}")
    fields = _split(text.strip())
    if len(fields) != 13 or fields[0].lower() != "cpe" or fields[1] != "2.3":
        raise CpeParseError(f"not a CPE 2.3 formatted string (cpe:2.3: and 11 components): {text!r}")
    comps = [_canonical(f, text) for f in fields[2:]]
    if comps[0] not in _PARTS:
        raise CpeParseError(f"CPE part must be a, o or h, got {comps[0]!r}: {text!r}")
    return Cpe(*comps)


def unescape(value: str) -> str:
    """A component's plain text (backslashes removed), e.g. for version comparison or display."""
    return re.sub(r"\\(.)", r"\1", value) if "\\" in value else value


def has_wildcard(value: str) -> bool:
    """True when a component holds an embedded, unescaped `*` or `?` (not the whole-value ANY)."""
    if value == ANY:
        return False
    return bool(re.search(r"(?<!\\)(?:\\\\)*[*?]", value))


@lru_cache(maxsize=4096)
def wildcard_regex(value: str) -> re.Pattern[str]:
    """Compile an embedded-wildcard component (`1.0*`) to a regex over canonical components."""
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            out.append(re.escape(value[i : i + 2]))
            i += 2
            continue
        # `*` is any run of characters and `?` a single one, per the CPE name matching spec.
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out))


@lru_cache(maxsize=65536)
def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key for version strings: numeric runs compare as numbers, `1.0.1f` < `1.0.1g`,
    `2.4.9` < `2.4.10`, `2.0-rc1` < `2.0` < `2.0.1`, and trailing `.0`s are ignored."""
    text = unescape(version).strip().lower()
    if len(text) > 1 and text[0] == "v" and text[1].isdigit():
        text = text[1:]
    tokens: list[tuple[int, int, str]] = []
    for tok in _TOKEN.findall(text):
        if tok.isdigit():
            tokens.append((3, int(tok), ""))
        elif tok in _PRE:
            tokens.append((0, _PRE[tok], tok))
        else:
            tokens.append((2, 0, tok))
    # Zeros that only pad a release before its end or a suffix carry no order: 2.0 == 2.0.0 and
    # 2.0-rc1 must compare with 2.0, not with 2.0.0.
    kept: list[tuple[int, int, str]] = []
    for tok in reversed(tokens):
        if tok == _ZERO and (not kept or kept[-1][0] != 3):
            continue
        kept.append(tok)
    tokens = kept[::-1]
    # The end marker sorts above pre-release words and below any further segment, so a plain
    # tuple comparison gives 2.0-rc1 < 2.0 < 2.0a < 2.0.1 without a custom comparator.
    tokens.append(_END)
    return tuple(tokens)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version `a` is older than, equal to or newer than `b`."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)
