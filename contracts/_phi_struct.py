"""PHI in HL7 v2 segments and X12 837/270/271 segments, found by field position.

Interface engines (Mirth, Rhapsody) and clearinghouse clients log whole messages when a parse or a
send fails, so the patient's name, ids and address reach IT telemetry as `PID|1||00482913^^^..|`.
The field position says exactly what each value is, which no pattern over free text can.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from contracts._phi_base import RANK_STRUCT, Hit, hit

Span = tuple[int, int]

_HL7_IDS = ("PID", "PD1", "NK1", "PV1", "IN1", "IN2", "GT1", "MRG", "ORC", "OBR")
_HL7_SEG = re.compile(r"(?:PID|PD1|NK1|PV1|IN1|IN2|GT1|MRG|ORC|OBR)\|")
_HL7_END = re.compile(
    r"[\r\n]|\\[rn]|<CR>|\s(?=(?:MSH|EVN|PID|PD1|NK1|PV1|PV2|IN1|IN2|GT1|OBR|ORC|OBX|AL1|DG1|MRG|NTE|Z[A-Z0-9]{2})\|)"
)
# A CX id quoted outside its segment ("PID-3 00917745^^^NORTHCLINIC^MR unknown") still says its type.
_CX_TYPE = re.compile(r"\^(MR|MRN|PI|PT|SS|MB|MI|MC|MA|MCD|MCR|SN|AN|AM)(?![\w^])")
_CX_BEFORE = re.compile(r"(?<![\w^|])([A-Za-z0-9-]{3,24})(?:\^[^|^~\s]*){3}$")
_X12_IDS = ("NM1*", "DMG*", "N3*", "N4*", "REF*")
_X12_SEG = re.compile(r"(?:NM1|DMG|N3|N4|REF)\*")
_X12_END = re.compile(r"[~\r\n]")
_SEGMENT_MAX = 8000  # characters; real segments are far shorter

# CX type codes (HL7 table 0203) that say an id is not a medical record number.
_CX_TYPES = {"SS": "ssn", "AN": "account_number", "AM": "account_number"}
_CX_TYPES.update(dict.fromkeys("MB MI MC MA MCD MCR SN".split(), "health_plan_id"))
# NM108 qualifiers (X12) for the id in NM109.
_NM1_IDS = {"MI": "health_plan_id", "II": "health_plan_id", "MR": "health_plan_id", "34": "ssn", "EA": "mrn"}
_REF_IDS = {"SY": "ssn", "1W": "health_plan_id", "IG": "health_plan_id", "EA": "mrn", "F6": "health_plan_id"}


def _split(text: str, start: int, end: int, sep: str, limit: int = 64) -> list[Span]:
    """Spans of the first `limit` pieces of text[start:end] between `sep` characters."""
    spans: list[Span] = []
    pos = start
    while len(spans) < limit:
        nxt = text.find(sep, pos, end)
        if nxt < 0:
            spans.append((pos, end))
            break
        spans.append((pos, nxt))
        pos = nxt + 1
    return spans


def _fields(text: str, start: int, after: int, ender: re.Pattern[str], sep: str, limit: int) -> list[Span]:
    """The first `limit` fields of the segment at `start`, cut where the segment ends.

    Only as far as the fields reach is searched for the end, so a hostile "PID|PID|PID|..." costs
    the same per segment as a real one.
    """
    window = min(len(text), after + _SEGMENT_MAX)
    fields = _split(text, start, window, sep, limit)
    end_m = ender.search(text, after, fields[-1][1])
    return _split(text, start, end_m.start(), sep, limit) if end_m else fields


def _run(text: str, comps: list[Span], first: int, last: int) -> Span | None:
    """The span from the first to the last non-empty component in comps[first..last]."""
    filled = [c for c in comps[first : last + 1] if c[1] > c[0]]
    return (filled[0][0], filled[-1][1]) if filled else None


def _reps(text: str, span: Span) -> Iterator[list[Span]]:
    for rep in _split(text, span[0], span[1], "~"):
        yield _split(text, rep[0], rep[1], "^")


def _cx(text: str, span: Span, default: str) -> Iterator[Hit]:
    for comps in _reps(text, span):
        s, e = comps[0]
        if e > s:
            code = text[comps[4][0] : comps[4][1]] if len(comps) > 4 else ""
            yield hit(s, e, _CX_TYPES.get(code, default), RANK_STRUCT)


def _named(first: int, last: int) -> Callable[[str, Span], Iterator[Hit]]:
    def handler(text: str, span: Span) -> Iterator[Hit]:
        for comps in _reps(text, span):
            run = _run(text, comps, first, last)
            if run:
                yield hit(*run, "person_name", RANK_STRUCT)

    return handler


def _xad(text: str, span: Span) -> Iterator[Hit]:
    for comps in _reps(text, span):
        run = _run(text, comps, 0, 2)  # street, other designation, city
        if run:
            yield hit(*run, "street_address", RANK_STRUCT)
        if len(comps) > 4 and comps[4][1] > comps[4][0]:
            yield hit(*comps[4], "zip", RANK_STRUCT)


def _xtn(text: str, span: Span) -> Iterator[Hit]:
    for comps in _reps(text, span):
        s, e = comps[0]
        if any(ch.isdigit() for ch in text[s:e]):
            yield hit(s, e, "phone", RANK_STRUCT)
        if len(comps) > 3 and "@" in text[comps[3][0] : comps[3][1]]:
            yield hit(*comps[3], "email", RANK_STRUCT)
        run = _run(text, comps, 5, 7)  # area code, local number, extension
        if run and any(ch.isdigit() for ch in text[run[0] : run[1]]):
            yield hit(*run, "phone", RANK_STRUCT)


def _first(category: str, min_len: int = 1) -> Callable[[str, Span], Iterator[Hit]]:
    def handler(text: str, span: Span) -> Iterator[Hit]:
        s, e = _split(text, span[0], span[1], "^")[0]
        if e - s >= min_len:
            yield hit(s, e, category, RANK_STRUCT)

    return handler


def _cx_as(default: str) -> Callable[[str, Span], Iterator[Hit]]:
    return lambda text, span: _cx(text, span, default)


_XPN, _XCN = _named(0, 4), _named(1, 4)
_MRN_CX, _ACCOUNT = _cx_as("mrn"), _cx_as("account_number")
_DOB, _SSN, _PLAN = _first("dob", 8), _first("ssn"), _first("health_plan_id")

_HL7_FIELDS: dict[str, dict[int, Callable[[str, Span], Iterator[Hit]]]] = {
    "PID": {
        2: _MRN_CX,
        3: _MRN_CX,
        4: _MRN_CX,
        5: _XPN,
        6: _XPN,
        7: _DOB,
        9: _XPN,
        11: _xad,
        13: _xtn,
        14: _xtn,
        18: _ACCOUNT,
        19: _SSN,
        21: _MRN_CX,
    },
    "PD1": {4: _XCN},
    "NK1": {2: _XPN, 4: _xad, 5: _xtn, 6: _xtn, 16: _DOB, 30: _XPN, 31: _xtn, 32: _xad, 37: _SSN},
    "PV1": {7: _XCN, 8: _XCN, 9: _XCN, 17: _XCN, 19: _ACCOUNT, 52: _XCN},
    "IN1": {16: _XPN, 18: _DOB, 19: _xad, 36: _PLAN, 49: _cx_as("health_plan_id")},
    "IN2": {2: _SSN},
    "GT1": {2: _ACCOUNT, 3: _XPN, 4: _XPN, 5: _xad, 6: _xtn, 7: _xtn, 8: _DOB, 12: _SSN},
    "MRG": {1: _MRN_CX, 2: _MRN_CX, 3: _ACCOUNT, 7: _XPN},
    "ORC": {10: _XCN, 11: _XCN, 12: _XCN},
    "OBR": {16: _XCN, 28: _XCN},
}


def _hl7(text: str) -> Iterator[Hit]:
    for m in _HL7_SEG.finditer(text):
        if not _starts_segment(text, m.start()):
            continue
        fields = _fields(text, m.start(), m.end(), _HL7_END, "|", max(_HL7_FIELDS[m.group()[:3]]) + 1)
        for number, handler in _HL7_FIELDS[m.group()[:3]].items():
            if number < len(fields) and fields[number][1] > fields[number][0]:
                yield from handler(text, fields[number])


def _starts_segment(text: str, pos: int) -> bool:
    # A segment starts a line, follows a separator, or follows a literal "\r" of an escaped log.
    return pos == 0 or not text[pos - 1].isalnum() or text[pos - 2 : pos] in ("\\r", "\\n")


def _cx_shapes(text: str) -> Iterator[Hit]:
    for m in _CX_TYPE.finditer(text):
        before = _CX_BEFORE.search(text, max(0, m.start() - 100), m.start())
        if before:
            yield hit(before.start(1), before.end(1), _CX_TYPES.get(m.group(1), "mrn"), RANK_STRUCT)


def _x12(text: str) -> Iterator[Hit]:
    for m in _X12_SEG.finditer(text):
        if not (_starts_segment(text, m.start()) or text[m.start() - 1] == "~"):
            continue
        els = _fields(text, m.start(), m.end(), _X12_END, "*", 10)

        def el(i: int, els: list[Span] = els) -> str:
            return text[els[i][0] : els[i][1]] if i < len(els) else ""

        kind = m.group()[:-1]
        if kind == "NM1" and el(2) == "1":
            run = _run(text, els, 3, 7)
            if run:
                yield hit(*run, "person_name", RANK_STRUCT)
            if el(8) in _NM1_IDS and el(9):
                yield hit(*els[9], _NM1_IDS[el(8)], RANK_STRUCT)
        elif kind == "DMG" and el(1) == "D8" and len(el(2)) >= 8:
            yield hit(*els[2], "dob", RANK_STRUCT)
        elif kind == "N3":
            run = _run(text, els, 1, 2)
            if run:
                yield hit(*run, "street_address", RANK_STRUCT)
        elif kind == "N4" and el(3):
            yield hit(*els[3], "zip", RANK_STRUCT)
        elif kind == "REF" and el(1) in _REF_IDS and el(2):
            yield hit(*els[2], _REF_IDS[el(1)], RANK_STRUCT)


def detect(text: str) -> Iterator[Hit]:
    """Candidates from HL7 v2 and X12 segments found in `text`."""
    if "|" in text and any(seg + "|" in text for seg in _HL7_IDS):
        yield from _hl7(text)
    if "^" in text:
        yield from _cx_shapes(text)
    if "*" in text and any(seg in text for seg in _X12_IDS):
        yield from _x12(text)
