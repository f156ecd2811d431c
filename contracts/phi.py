"""The PHI scrubber: 12 categories become typed placeholders before text leaves the device.

`scrub(text)` returns the scrubbed text, where each finding was (offsets into the original text) and
the mapping placeholder -> original. A `Scrubber` holds one request's state so that every string of
one incident shares placeholders: the same value is always `[IP_1]` within the request, and the
mapping stays on the device so a plan naming `[IP_1]` can be turned back into the target
(`restore`). Pure: standard library only, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from contracts import _phi_detect, _phi_names, _phi_net, _phi_place, _phi_struct
from contracts._phi_base import Hit, Label
from contracts.errors import PhiDetectedError

PREFIXES: dict[str, str] = {
    "person_name": "NAME",
    "ssn": "SSN",
    "mrn": "MRN",
    "dob": "DOB",
    "phone": "PHONE",
    "email": "EMAIL",
    "street_address": "ADDRESS",
    "zip": "ZIP",
    "health_plan_id": "PLAN_ID",
    "account_number": "ACCOUNT",
    "ip_address": "IP",
    "url": "URL",
}
"""Category -> placeholder prefix: `[NAME_1]`, `[IP_2]`, ..."""

CATEGORIES: tuple[str, ...] = tuple(PREFIXES)
"""The 12 PHI categories, in DESIGN.md order."""

PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(PREFIXES.values()) + r")_(\d{1,9})\]")
"""A placeholder as it appears in scrubbed text."""

_PREFIX_OF = {f"[{prefix}_": category for category, prefix in PREFIXES.items()}
# Scrubbing its own output must change nothing; a new finding next to a placeholder (its boundary
# changed) is scrubbed in another round. Real text settles in one or two rounds.
_MAX_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Finding:
    """One scrubbed value: its category, its placeholder and its [start, end) in the original text."""

    category: str
    placeholder: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ScrubResult:
    """Scrubbed text, the findings (original offsets), and the request's placeholder -> value mapping."""

    text: str
    findings: list[Finding]
    mapping: dict[str, str] = field(default_factory=dict)


def _lower(text: str) -> str:
    """`text` lower-cased with the same length, so offsets found in it hold in `text`."""
    low = text.lower()
    if len(low) != len(text):  # a few characters ("İ") lower to two; keep those as they are
        low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    return low


_WORD = re.compile(r"[a-z]+")
_MODULES = (_phi_detect, _phi_net, _phi_place, _phi_names)


def _label_index() -> dict[str, list[tuple[str, Label]]]:
    index: dict[str, list[tuple[str, Label]]] = {}
    for module in _MODULES:
        for label in getattr(module, "LABELS", ()):
            for kw in label.keywords:
                index.setdefault(kw[:3], []).append((kw, label))
    return index


# Every label is tried only where one of its keywords starts a word: one scan over the words of the
# text instead of one regex scan per label.
_LABELS = _label_index()


def _label_hits(text: str, low: str) -> Iterator[Hit]:
    for w in _WORD.finditer(low):
        word = w.group()
        entries = _LABELS.get(word[:3])
        if not entries:
            continue
        tried: set[int] = set()
        for kw, label in entries:
            if id(label) in tried or not (word == kw or (len(kw) > 2 and word.startswith(kw))):
                continue
            tried.add(id(label))
            m = label.pattern.match(low, w.start())
            if m:
                yield from label.handler(text, low, m)


def _candidates(text: str) -> list[Hit]:
    low = _lower(text)
    hits = list(_phi_struct.detect(text))
    hits.extend(_label_hits(text, low))
    for module in _MODULES:
        hits.extend(module.detect(text, low))
    return hits


def _detect(text: str) -> list[Hit]:
    """Non-overlapping hits in `text`, highest rank then longest first; placeholders are left alone."""
    taken = bytearray(len(text))
    for m in PLACEHOLDER_RE.finditer(text):
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    chosen: list[Hit] = []
    for h in sorted(_candidates(text), key=lambda h: (-h.rank, h.guard - h.end, h.start)):
        if h.end <= h.start or 1 in taken[h.guard : h.end] or not text[h.start : h.end].strip():
            continue
        taken[h.guard : h.end] = b"\x01" * (h.end - h.guard)
        chosen.append(h)
    chosen.sort(key=lambda h: h.start)
    return chosen


class Scrubber:
    """One request's scrubbing state: placeholders are stable across every string it scrubs."""

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self._reserved: set[str] = set()

    def _render(self, text: str, spans: list[Hit]) -> tuple[str, list[Finding], dict[tuple[str, str], str]]:
        draft: dict[tuple[str, str], str] = {}
        counts = dict(self._counts)
        parts: list[str] = []
        findings: list[Finding] = []
        pos = 0
        for h in spans:
            key = (h.category, text[h.start : h.end])
            ph = self._by_value.get(key) or draft.get(key)
            if ph is None:
                prefix = PREFIXES[h.category]
                while ph is None or ph in self._reserved:
                    counts[prefix] = counts.get(prefix, 0) + 1
                    ph = f"[{prefix}_{counts[prefix]}]"
                draft[key] = ph
            parts.append(text[pos : h.start])
            parts.append(ph)
            findings.append(Finding(h.category, ph, h.start, h.end))
            pos = h.end
        parts.append(text[pos:])
        return "".join(parts), findings, draft

    def scrub(self, text: str, *, label: str | None = None) -> ScrubResult:
        """Scrub one string; placeholders continue the numbering of earlier strings in this request.

        `label` names the field the text is the value of ("patient_name", "dob"): it is read as the
        label in front of the value, so `{"ssn": "512447821"}` is found although the digits alone
        are not.
        """
        if not isinstance(text, str):
            raise TypeError(f"scrub() takes str, not {type(text).__name__}")
        self._reserved.update(
            m.group() for m in PLACEHOLDER_RE.finditer(text) if m.group() not in self.mapping
        )
        spans = _detect_labelled(text, label) if label else _detect(text)
        out, findings, draft = self._render(text, spans)
        for _ in range(_MAX_ROUNDS if spans else 0):
            extra = _recheck(out)
            if not extra:
                break
            spans = sorted(spans + _to_original(extra, findings, len(text)), key=lambda h: h.start)
            out, findings, draft = self._render(text, spans)
        for (category, value), ph in draft.items():
            self._by_value[(category, value)] = ph
            self.mapping[ph] = value
            prefix = PREFIXES[category]
            self._counts[prefix] = max(self._counts.get(prefix, 0), int(ph[len(prefix) + 2 : -1]))
        return ScrubResult(out, findings, dict(self.mapping))

    def scrub_obj(self, obj: Any, label: str | None = None) -> Any:
        """A copy of `obj` with every string in it (through dicts, lists and tuples) scrubbed; keys kept.

        A dict key is the label of its value (with its parent's key: "patient" + "name"), and a
        number under a key that marks it as PHI (`{"mrn": 482913}`) becomes its placeholder.
        """
        if isinstance(obj, str):
            return self.scrub(obj, label=label).text
        if isinstance(obj, dict):
            return {
                key: self.scrub_obj(value, _join_label(label, key) if isinstance(key, str) else label)
                for key, value in obj.items()
            }
        if isinstance(obj, list | tuple):
            return type(obj)(self.scrub_obj(value, label) for value in obj)
        if label and isinstance(obj, int | float) and not isinstance(obj, bool):
            result = self.scrub(str(obj), label=label)
            return result.text if result.findings else obj
        return obj


def _join_label(parent: str | None, key: str) -> str:
    # "patientName" and "patient_name" both read as the label "patient name".
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ")
    if parent:
        words = parent.rsplit(" ", 1)[-1] + " " + words
    return words.strip()


def _detect_labelled(text: str, label: str) -> list[Hit]:
    """Hits in `text` read as the value after "label: "; nothing found in the label itself counts."""
    prefix = label + ": "
    n = len(prefix)
    return [
        Hit(h.start - n, h.end - n, h.category, h.rank, h.guard - n)
        for h in _detect(prefix + text)
        if h.guard >= n
    ]


def _recheck(out: str) -> list[Hit]:
    """Hits in scrubbed text, looked for only in the lines around placeholders.

    Every detector reads context within its own line (a label's value may start on the next one), so
    a placeholder can change what is found only within a line or two of it.
    """
    windows: list[list[int]] = []
    for m in PLACEHOLDER_RE.finditer(out):
        start, end = m.start(), m.end()
        for _ in range(3):
            start = out.rfind("\n", 0, max(start - 1, 0)) + 1 if start else 0
            nxt = out.find("\n", end + 1)
            end = len(out) if nxt < 0 else nxt
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    hits: list[Hit] = []
    for start, end in windows:
        for h in _detect(out[start:end]):
            hits.append(Hit(h.start + start, h.end + start, h.category, h.rank, h.guard + start))
    return hits


def _to_original(extra: list[Hit], findings: list[Finding], length: int) -> list[Hit]:
    """Map hits in scrubbed text back to the original; they never overlap a placeholder."""
    out: list[Hit] = []
    for h in extra:
        shift = 0
        for f in findings:
            scrubbed_start = f.start + shift
            if scrubbed_start >= h.end:
                break
            shift += len(f.placeholder) - (f.end - f.start)
        out.append(Hit(h.start - shift, h.end - shift, h.category, h.rank, h.guard - shift))
    return [h for h in out if 0 <= h.guard <= h.start < h.end <= length]


def scrub(text: str) -> ScrubResult:
    """Scrub one string as a request of its own."""
    return Scrubber().scrub(text)


def restore(text: str, mapping: dict[str, str]) -> str:
    """Put the original values back for every placeholder the mapping knows; others stay as they are."""
    return PLACEHOLDER_RE.sub(lambda m: mapping.get(m.group(), m.group()), text)


def contains_phi(text: str) -> list[str]:
    """The categories of PHI found in `text` (sorted, no repeats); placeholders are not PHI."""
    return sorted({h.category for h in _detect(text)})


def assert_no_phi(text: str) -> None:
    """Raise PhiDetectedError naming the categories when `text` still holds PHI."""
    found = contains_phi(text)
    if found:
        raise PhiDetectedError(found)


def category_of(placeholder: str) -> str | None:
    """The category a placeholder stands for (`[IP_3]` -> "ip_address"), or None."""
    if not PLACEHOLDER_RE.fullmatch(placeholder):
        return None
    return _PREFIX_OF.get(placeholder[: placeholder.rindex("_") + 1])
