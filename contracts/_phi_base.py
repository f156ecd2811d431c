"""What every PHI detector returns: a candidate span, its category and how much to trust it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

# When candidates overlap, the higher rank wins, then the longer span. URLs rank first because they
# swallow names, IPs and ids that sit inside them; structured fields (HL7, X12) know exactly where a
# value is; a label ("MRN:") beats a bare shape; weak name cues (a folder, a username) come last.
RANK_URL = 5
RANK_STRUCT = 4
RANK_LABEL = 3
RANK_SHAPE = 2
RANK_WEAK = 1


class Hit(NamedTuple):
    """A candidate span of PHI in the text being scrubbed."""

    start: int
    end: int
    category: str
    rank: int
    guard: int
    """Start of the cue the hit depends on (the "Dr." before a name); equals start when none."""


def hit(start: int, end: int, category: str, rank: int, guard: int | None = None) -> Hit:
    """A hit whose guard defaults to its own start."""
    return Hit(start, end, category, rank, start if guard is None else guard)


def luhn_ok(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


LabelHandler = Callable[[str, str, re.Match[str]], Iterator[Hit]]
"""Turns a label pattern's match (on the lower-cased text) into hits: (text, low, match) -> hits."""


class Label(NamedTuple):
    """A labelled value: tried only where one of `keywords` starts a word of the lower-cased text.

    Keywords of one or two letters must be the whole word ("ss", "d" of "d.o.b."); longer ones
    need only start it ("patientid" starts with "patient").
    """

    keywords: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: LabelHandler


def value_of(category: str, rank: int = RANK_LABEL) -> LabelHandler:
    """A handler whose hit is the pattern's group 1."""

    def handler(text: str, low: str, m: re.Match[str]) -> Iterator[Hit]:
        yield hit(m.start(1), m.end(1), category, rank)

    return handler
