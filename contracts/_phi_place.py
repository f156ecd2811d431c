"""Detectors for street addresses and ZIP codes.

A ZIP is five digits like a port or a PID, so it counts only after a state ("Springfield, IL 62704",
"Peoria, Illinois 61614") or a label ("ZIP: 62704"). Two-letter states that are also words (OK, OR,
IN, ME, CA...) need the comma that writes an address, so "HTTP/1.1 200 OK 34512" stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from contracts._phi_base import RANK_LABEL, RANK_SHAPE, Hit, Label, hit, value_of
from contracts._phi_words import ADDRESS_STOP

_SAFE_STATES = frozenset(
    "AK AL AR AZ CT DC FL GA IA IL KS KY MD MI MN MO MS MT NC ND NE NH NJ NM NV NY PR RI SC SD TN TX UT VA VI"
    " VT WA WI WV WY".split()
)
_WORDY_STATES = frozenset("CA CO DE HI ID IN LA MA ME OH OK OR PA GU AS MP".split())
_STATE_NAMES = frozenset(
    """Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii
    Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota
    Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah
    Vermont Virginia Washington Wisconsin Wyoming""".split()
)
_STATE_PAIRS = frozenset({"Hampshire", "Jersey", "Mexico", "York", "Carolina", "Dakota", "Island"})
_FIVE = re.compile(r"\d(?<![\w-]\d)\d{4}(?:-\d{4})?(?![\w-])")
_ZIP_LABEL = re.compile(
    r"(?<![a-z])(?:zip(?:[ _]?code)?|postal[ _]?code|post[ _]?code|zip/postal(?:[ _]code)?)(?![a-z])"
    r"[\s:=#\"'_-]{0,5}(\d{5}(?:-\d{4})?)(?![\w-])"
)
_SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Way|Place|Pl|Parkway|Pkwy"
    "|Highway|Hwy|Circle|Cir|Terrace|Ter|Trail|Trl|Plaza|Plz|Square|Sq|Crescent|Alley|Pike|Ridge"
    "|Crossing|Expressway|Expy|Freeway|Fwy|Turnpike"
)
_SUFFIX = "(?:" + _SUFFIXES + "|" + _SUFFIXES.upper() + ")"
_DIR = r"(?:[NSEW]|N[EW]|S[EW]|North|South|East|West|NORTH|SOUTH|EAST|WEST)\.?"
_SWORD = r"(?:[A-Z][a-z]+|[A-Z]{2,}|\d{1,3}(?:st|nd|rd|th|ST|ND|RD|TH))"
_UNIT = (
    r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Bldg|Fl|Floor|Rm|Room|APT|SUITE|STE|UNIT|BLDG|FL|RM|#)"
    r"\.?[ \t]*#?[ \t]*[A-Z0-9][A-Za-z0-9-]{0,5}(?![\w-]))?"
)
_STREET = re.compile(
    rf"\d(?<![\w.,/:#-]\d)\d{{0,5}}[A-Z]?[ \t]+(?:{_DIR}[ \t]+)?(?P<words>(?:{_SWORD}[ \t]+){{0,3}}{_SWORD})"
    rf"[ \t]+{_SUFFIX}\.?(?:[ \t]+(?:NE|NW|SE|SW|N|S|E|W)\.?)?(?![\w-]){_UNIT}"
)
_PO_BOX = re.compile(r"p(?<!\wp)\.? ?o\.? ?box[ \t]+#?\d{1,6}(?![\w-])")


def _word_before(text: str, start: int) -> tuple[str, int, bool]:
    """The word before the spaces (and an optional "." or ",") in front of `start`: (word, its start, comma)."""
    i = start - 1
    if i < 0 or text[i] not in " \t":
        return "", start, False
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i >= 0 and text[i] == ",":
        return "", start, False  # "IL, 62704" is not how an address is written
    if i >= 0 and text[i] == ".":
        i -= 1
    end = i + 1
    while i >= 0 and text[i].isalpha():
        i -= 1
    word_start = i + 1
    j = i
    while j >= 0 and text[j] in " \t":
        j -= 1
    return text[word_start:end], word_start, j >= 0 and text[j] == ","


def _after_state(text: str, start: int) -> bool:
    """Whether the digits at `start` follow a state the way an address writes it."""
    word, word_start, comma_before = _word_before(text, start)
    if not word or not word[0].isupper():
        return False
    if word in _STATE_NAMES:
        return True
    if word in _STATE_PAIRS:
        return bool(re.search(r"(?:New|North|South|West|Rhode) $", text[max(0, word_start - 7) : word_start]))
    if word in _SAFE_STATES or word in _WORDY_STATES:
        if comma_before:  # "Springfield, IL 62704"
            return True
        before = text[max(0, word_start - 30) : word_start].rstrip(" \t")
        return word in _SAFE_STATES and bool(before) and before[-1].isalpha()  # "SPRINGFIELD IL 62704"
    return False


LABELS = (Label(("zip", "postal", "post"), _ZIP_LABEL, value_of("zip")),)
"""Labelled ZIP codes ("ZIP: 62704", "postal_code=10001")."""


def _streets(text: str, low: str) -> Iterator[Hit]:
    for m in _STREET.finditer(text):
        if not any(w.lower() in ADDRESS_STOP for w in m.group("words").split()):
            yield hit(m.start(), m.end(), "street_address", RANK_SHAPE)
    if "box" in low:
        for m in _PO_BOX.finditer(low):
            yield hit(m.start(), m.end(), "street_address", RANK_SHAPE)


def detect(text: str, low: str) -> Iterator[Hit]:
    """Street addresses, and ZIP codes after a state; `low` is `text` lower-cased."""
    for m in _FIVE.finditer(text):
        if _after_state(text, m.start()):
            yield hit(m.start(), m.end(), "zip", RANK_LABEL)
    yield from _streets(text, low)
