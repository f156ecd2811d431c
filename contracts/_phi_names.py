"""Person names, found only next to a cue: a label, a title, a username, an email, a DN, a folder.

A name has no shape of its own, and IT telemetry is full of capitalised product and service names,
so every detector here starts from a cue and then reads at most a few name-shaped tokens, stopping
at the first word that is IT vocabulary or a form label (`_phi_words`). A cue that is weak (no colon,
a folder name) asks for two name tokens instead of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from contracts._phi_base import RANK_LABEL, RANK_WEAK, Hit, Label, hit
from contracts._phi_words import IT_WORDS, NAME_STOP

_UP = "A-ZÀ-ÖØ-Þ\u0100-\u017f"
_LO = "a-zß-öø-ÿ\u0100-\u017f"
# Mixed case ending in lower case (O'Brien, McDonald, Delgado-Martinez), all caps, or an initial.
_TOKEN = re.compile(
    rf"(?:[{_UP}][{_LO}{_UP}'’-]*[{_LO}]|[{_UP}][{_UP}'’-]*[{_UP}]|[{_UP}]\.?)(?![{_LO}{_UP}0-9'’-])"
)
_SEP_SPACE = re.compile(r" (?=\S)")
_SEP_COMMA = re.compile(r"(?:\\?,) ?")
_SEP_PATH = re.compile(r"_| (?=\S)")

_ROLE = (
    r"patient|pt|resident|client|member|insured|subscriber|guarantor|policy ?holder|responsible party"
    r"|employee|caller|requester|requestor|customer|beneficiary|student|spouse|parent|guardian|mother"
    r"|father|next of kin|nok|emergency contact|contact|physician|doctor|provider|attending|referring"
    r"|ordering|pcp|nurse|clinician|from|to|cc|bcc|sender|recipient|attendees|attendee|assignee|author"
    r"|first|last|given|family|surname|forename|fname|lname"
)
# Matched on the lower-cased text (same offsets, much faster than IGNORECASE).
_NAME_LABEL = re.compile(
    rf"(?<![a-z])(?:(?P<role>(?:{_ROLE})(?:'s)?(?:[ _](?:full[ _])?name)?"
    r"|(?:full|first|last|middle|legal|preferred|given|family|maiden|display|sur)[ _]?name)"
    r"|(?P<bare>name)|(?P<by>(?:requested|reported|submitted|opened|called|signed|seen|created)[ _]by"
    r"|on behalf of|attn|attention|dear|charts? of|records? (?:of|for)|results for|reminder for|referral for"
    r"|appointment for))(?![a-z])"
    # A JSON key closes its quote before the colon, and a FHIR value may open a list: "given":["Jane"].
    r"(?P<sep>[\"']?[ \t]*(?:[:=]|-(?= )|–)[ \t]*[\[\"']{0,2}|[ \t]+)"
)
# Without a colon only these roles cue a name ("patient Bui Thi Mai"); bare "PT" is also a company
# form (PT Trijaya) and physical therapy.
_WEAK_ROLES = frozenset({"patient", "resident"})
_LIST_ROLES = frozenset({"to", "cc", "bcc", "from", "recipient", "attendees"})
_LIST_SEP = re.compile(r"[;,] ?")
_TITLE = re.compile(rf"(?:Dr|DR|Mr|MR|Mrs|MRS|Ms|MS|Miss|MISS|Mx|Prof|PROF)(?:\.[ \t]?|[ \t])(?=[{_UP}])")
_PAREN = re.compile(
    r"(?<![a-z])(?:user(?:name)?|account|login|logon|owner|uid|sender|by|for|from)[ \t]*[:=]?[ \t]*"
    r"(?:[a-z][\w-]*\\)?[a-z][\w.$-]{1,40}[ \t]?\("
)
_ANGLE_EMAIL = re.compile(r"<[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+>")
_DISPLAY_QUOTED = re.compile(r"\"([^\"\n]{2,60})\"[ \t]*$")
_DISPLAY_PLAIN = re.compile(rf"((?:[{_UP}][^\s<>\"]*[ ]){{1,3}}[{_UP}][^\s<>\"]*)[ \t]*$")
_LDAP_CN = re.compile(r"(?:CN|cn)=((?:\\,|[^,=\\\r\n])+)(?=, ?(?:OU|CN|DC|O|L|ou|cn|dc)=)")
_PATH_DIR = re.compile(
    r"[\\/](?:patients?|charts?|records|medical[ _]?records|scans?|intake|referrals?|fax(?:es)?|labs?"
    r"|radiology|imaging|residents?|clients?|correspondence|consents?|insurance|billing|ehr)(?=[\\/])"
)
# A document named for a patient: "Lab Results - Smith, John.pdf", "DOE, JANE.tif".
_DOC_NAME = re.compile(
    rf"(?<![\w-])([{_UP}][{_LO}{_UP}'-]*[{_LO}{_UP}], ?[{_UP}][{_LO}{_UP}'-]*[{_LO}{_UP}])"
    r"\.(?:pdf|docx?|tiff?|jpe?g|png|xlsx?|txt|rtf|msg|eml|dcm|hl7|xml|csv)(?![\w-])",
    re.IGNORECASE,
)
_FILE_TAG = re.compile(rf"(?<![\w-])([{_UP}][{_LO}{_UP}'-]*_[{_UP}][{_LO}{_UP}'-]*)$")
_FILE_TAG_WORD = re.compile(r"_(?:dob|mrn)(?![a-z])")


def _stop(word: str) -> bool:
    low = word.lower().rstrip(".")
    if len(low) == 1:
        return False  # an initial ("Smith, John A"), not the article
    return low in NAME_STOP or any(part in IT_WORDS for part in low.split("-"))


def _scan(
    text: str,
    pos: int,
    *,
    sep: re.Pattern[str] = _SEP_SPACE,
    comma: bool = True,
    limit: int = 4,
    min_tokens: int = 1,
) -> tuple[int, int] | None:
    """Read name tokens from `pos`; the span of the accepted ones, or None when too few are names."""
    tokens: list[tuple[int, int]] = []
    while len(tokens) < limit:
        m = _TOKEN.match(text, pos)
        if not m or _stop(m.group()):
            break
        end = m.end()
        if text[end - 2 : end] in ("'s", "’s"):  # a possessive is not part of the name
            end -= 2
        tokens.append((m.start(), end))
        if end != m.end():
            break
        s = (_SEP_COMMA.match(text, end) if comma and len(tokens) == 1 else None) or sep.match(text, end)
        if not s:
            break
        pos = s.end()
    words = [t for t in tokens if t[1] - t[0] > 1 and text[t[1] - 1] != "."]
    if len(words) < min_tokens or not tokens or tokens[0] not in words:
        return None
    return tokens[0][0], tokens[-1][1]


def _label(text: str, low: str, m: re.Match[str]) -> Iterator[Hit]:
    strong = bool(m.group("sep").strip())
    if m.group("bare"):
        before = text[max(0, m.start() - 40) : m.start()].rstrip(" \t")
        if not strong or (before and before[-1].isalnum()):
            return  # "Service Name:", "Log Name:" name things, not people
    if m.group("role") and not strong and m.group("role") not in _WEAK_ROLES:
        return
    span = _scan(text, m.end(), min_tokens=1 if strong else 2)
    listed = 0
    while span:
        yield hit(*span, "person_name", RANK_LABEL if strong else RANK_WEAK)
        # Header fields list people: "To: Jane Doe; Bob Smith, Ann Lee".
        sep = _LIST_SEP.match(text, span[1]) if m.group("role") in _LIST_ROLES and listed < 20 else None
        span = _scan(text, sep.end(), comma=False, min_tokens=2) if sep else None
        listed += 1


def _titles(text: str) -> Iterator[Hit]:
    for m in _TITLE.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_."):
            continue
        span = _scan(text, m.end(), comma=False, limit=3)
        if span:
            yield hit(*span, "person_name", RANK_WEAK, guard=m.start())


def _paren(text: str, low: str, m: re.Match[str]) -> Iterator[Hit]:
    span = _scan(text, m.end(), min_tokens=2)
    if span and text.startswith(")", span[1]):
        yield hit(*span, "person_name", RANK_LABEL)


def _display_names(text: str) -> Iterator[Hit]:
    for m in _ANGLE_EMAIL.finditer(text):
        window_start = max(0, m.start() - 80)
        d = _DISPLAY_QUOTED.search(text, window_start, m.start()) or _DISPLAY_PLAIN.search(
            text, window_start, m.start()
        )
        if d:
            span = _scan(text, d.start(1), min_tokens=2)
            if span and span[1] == d.end(1):
                yield hit(*span, "person_name", RANK_LABEL)


def _ldap(text: str) -> Iterator[Hit]:
    for m in _LDAP_CN.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
            continue
        span = _scan(text, m.start(1), min_tokens=2)
        if span and span[1] == m.end(1):
            yield hit(*span, "person_name", RANK_LABEL)


def _documents(text: str) -> Iterator[Hit]:
    for m in _DOC_NAME.finditer(text):
        words = m.group(1).replace(",", " ").split()
        if words[0][0].isupper() and words[-1][0].isupper() and not any(_stop(w) for w in words):
            yield hit(m.start(1), m.end(1), "person_name", RANK_WEAK)


def _paths(text: str, low: str) -> Iterator[Hit]:
    for m in _PATH_DIR.finditer(low):
        span = _scan(text, m.end() + 1, sep=_SEP_PATH, min_tokens=2, limit=3)
        if span and (span[1] == len(text) or text[span[1]] in "\\/_.- "):
            yield hit(*span, "person_name", RANK_WEAK)
    if "_dob" not in low and "_mrn" not in low:
        return
    for tag in _FILE_TAG_WORD.finditer(low):  # "Smith_John_DOB_1965-04-12.pdf"
        m = _FILE_TAG.search(text, max(0, tag.start() - 60), tag.start())
        if m and not any(_stop(w) for w in m.group(1).split("_")):
            yield hit(m.start(1), m.end(1), "person_name", RANK_WEAK)


_LABEL_WORDS = tuple(
    {w.split()[0] for w in _ROLE.replace(" ?", " ").split("|")}
    | set(
        """full first last middle legal preferred given family maiden display sur name requested reported
        submitted opened called signed seen created on attn attention dear chart charts record records
        results reminder referral appointment""".split()
    )
)
LABELS = (
    Label(_LABEL_WORDS, _NAME_LABEL, _label),
    Label(tuple("user account login logon owner uid sender by for from".split()), _PAREN, _paren),
)
"""Names after a label ("Patient: Maria Gonzalez") and in parentheses after a username."""


def detect(text: str, low: str) -> Iterator[Hit]:
    """Name candidates from titles, email display names, directory DNs and folders."""
    yield from _titles(text)
    if "@" in text:
        yield from _display_names(text)
    if "cn=" in low:
        yield from _ldap(text)
    if "/" in text or "\\" in text:
        yield from _paths(text, low)
    if "," in text and "." in text:
        yield from _documents(text)
