"""Detectors for identifiers: SSN, MRN, date of birth, phone/fax, health-plan and account numbers.

A bare shape is trusted only where it is specific (dashed SSN, formatted phone, Luhn-valid card,
Medicare MBI, IBAN with its checksum). Anything that looks like an ordinary number (MRN, member and
account ids, 9-digit SSNs, dates) needs a label, so ports, PIDs, event ids, builds and log timestamps
survive. Labels are matched on the lower-cased text with case-sensitive patterns: the same offsets,
and several times faster than IGNORECASE in `re`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from contracts._phi_base import RANK_LABEL, RANK_SHAPE, Hit, Label, hit, luhn_ok, value_of

_ID = r"((?=[a-z0-9-]*\d)[a-z0-9][a-z0-9-]{3,23})(?![a-z0-9-])"
_SEP = r"[\s:=#\"'_-]{0,5}"
_NUM = r"(?:#|no\.?|num(?:ber)?)"

# Underscore counts as a boundary: file names carry SSNs as "SSN_321-54-9876_card.pdf".
_SSN_SHAPE = re.compile(r"\d(?<![A-Za-z0-9-]\d)\d\d-\d\d-\d{4}(?![A-Za-z0-9-])")
_SSN_LABEL = re.compile(
    r"(?<![a-z])(?:ssn|ss ?#|s\.s\.n\.?|soc(?:ial)?\.? ?sec(?:urity)?\.?(?: ?" + _NUM + r")?)(?![a-z])"
    r"[\s:=#\"'._()-]{0,12}(\d{3}(?P<s>[- ]?)\d{2}(?P=s)\d{4}|[*x]{3}-[*x]{2}-\d{4})(?![a-z0-9-])"
)
_IDNUM = r"(?:id|#|no\.?|num(?:ber)?)"
_MRN = re.compile(
    r"(?<![a-z])(?:mrn|mr ?#|mr ?(?:no\.?|num(?:ber)?)|med(?:ical)?\.?[ _]?rec(?:ord)?s?\.?(?:[ _]?"
    + _IDNUM
    + r")?|chart[ _]?"
    + _IDNUM
    + r"|patient[ _]?id|pat[ _]id|pt\.?[ _]?id|empi|emr[ _]?id)(?![a-z])"
    + _SEP
    + _ID
)
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:(?:0?[1-9]|1[0-2])(?P<a>[/.-])(?:0?[1-9]|[12]\d|3[01])(?P=a)(?:19|20)?\d{2}"
    r"|(?:0?[1-9]|[12]\d|3[01])(?P<b>[/.-])(?:0?[1-9]|1[0-2])(?P=b)(?:19|20)\d{2}"
    r"|(?:19|20)\d{2}(?P<c>[/.-])(?:0?[1-9]|1[0-2])(?P=c)(?:0?[1-9]|[12]\d|3[01])"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}(?:\d\d)?)?"
    r"|" + _MON + r"\.? \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)?[ -]" + _MON + r"\.?,?[ -](?:19|20)?\d{2}"
    r")(?![/.-]?\d)"
)
_DOB = re.compile(
    r"(?<![a-z])(?:d\.?o\.?b\.?|date[ _]of[ _]birth|birth[ _-]?date|birth[ _]?day|born(?:[ _]on)?)(?![a-z])"
    r"(?: ?/ ?age)?[\s:=#\"'_-]{0,6}(" + _DATE + ")"
)

_EXT = r"(?: ?(?:x|ext\.?|extension) ?\d{1,6})?"
_PHONE_END = r"(?![\w-]|\.\d)"
_AREA = r"(?:\([2-9]\d\d\) ?|[2-9]\d\d[./-])"
# Branches that each start with a literal or a class let `re` skip positions by their first character.
_PHONE = re.compile(
    r"(?:\+1[ .-]?" + _AREA + r"|1[ .-]" + _AREA + r"|1" + _AREA + r"|\([2-9]\d\d\) ?|[2-9]\d\d[./-])"
    r"[2-9]\d\d[.-]\d{4}" + _EXT + _PHONE_END
)
_PHONE_PLUS1 = re.compile(
    r"\+1[ .-]?(?:\([2-9]\d\d\)|[2-9]\d\d)[ .-]?[2-9]\d\d[ .-]?\d{4}" + _EXT + _PHONE_END
)
_PHONE_INTL = re.compile(r"\+[2-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}" + _PHONE_END)
_PHONE_LABEL = re.compile(
    r"(?<![a-z])(?:phone|ph|tel(?:ephone)?|mobile|cell(?:ular)?|fax|callback|call[ _]back|contact[ _]number"
    r"|caller[ _]?id|pager)(?:[ _]?" + _NUM + r")?(?![a-z])[\s:=#\"'.-]{0,4}"
    r"(\+?1?[ .-]?\(?[2-9]\d\d\)?[ ./-]?[2-9]\d\d[ .-]?\d{4}" + _EXT + ")" + _PHONE_END
)

_PLAN_LABEL = re.compile(
    r"(?<![a-z])(?:(?:member|subscriber|insurance|health[ _]?plan|medicaid|medicare)[ _]?"
    + _IDNUM
    + r"|medicaid|medicare|memberid|insured[ _]?id|(?:insurance )?policy[ _]?"
    + _NUM
    + r"|policy ?holder[ _]?id|beneficiary[ _]?(?:id|#|no\.?)|mbi|hicn|(?:bcbs|uhc|aetna|cigna|humana)[ _]?(?:id|#))"
    r"(?![a-z])" + _SEP + _ID
)
# "Group Policy #4016" and firewall policy numbers are not insurance policies.
_IT_POLICY = re.compile(
    r"(?:group|firewall|security|password|audit|retention|lockout|access|execution|backup|dlp"
    r"|conditional|compliance|ipsec|qos|network|nps|gpo|filter)\s*$"
)
_MBI_L = "AC-HJKMNP-RT-Y"
_MBI = re.compile(
    rf"[1-9](?<![\w-][1-9])[{_MBI_L}][{_MBI_L}0-9]\d-?[{_MBI_L}][{_MBI_L}0-9]\d-?[{_MBI_L}]{{2}}\d{{2}}(?![\w-])"
)
_ACCOUNT_LABEL = re.compile(
    r"(?<![a-z])(?:(?:patient|billing|guarantor|bank|checking|savings|hospital)[ _]?(?:account|acct)"
    r"(?:[ _]?"
    + _IDNUM
    + r")?|(?:account|acct)[ _]?"
    + _IDNUM
    + r"|acct|(?:credit[ _]?)?card[ _]?"
    + _NUM
    + r"|routing[ _]?"
    + _NUM
    + r"|aba[ _]?(?:#|no\.?)|(?:encounter|visit)[ _]?"
    + _IDNUM
    + r"|har)(?![a-z])"
    r"[\s:=#\"'.-]{0,5}((?:\d{4}[ -]){2,3}\d{3,4}|(?=[a-z0-9-]*\d)[a-z0-9][a-z0-9-]{3,33})(?![\w-])"
)
_ACCOUNT_BARE = re.compile(r"(?<![a-z])account(?![a-z])[\s:=#]{1,3}(\d[\d-]{4,18}\d)(?![\w-])")
_CARD = re.compile(
    r"\d(?<![\w-]\d)\d{3}(?:(?P<g>[ -]?)\d{4}(?P=g)\d{4}(?P=g)\d{1,7}|(?P<h>[ -]?)\d{6}(?P=h)\d{4,5})(?![\w-])"
)
_CARD_PREFIX = re.compile(r"3[47]|4|5[1-5]|2[2-7]|6011|65|64[4-9]|62|35|30|36|38")
_IBAN = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}[A-Z0-9]{11,30}(?!\w)")


def _ssns(text: str) -> Iterator[Hit]:
    for m in _SSN_SHAPE.finditer(text):
        area, group, serial = m.group()[:3], m.group()[4:6], m.group()[7:]
        if area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000":
            yield hit(m.start(), m.end(), "ssn", RANK_SHAPE)


def _phones(text: str) -> Iterator[Hit]:
    for m in _PHONE.finditer(text):
        if m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_+/.-"):
            yield hit(m.start(), m.end(), "phone", RANK_SHAPE)
    if "+" in text:
        for rx, digits in ((_PHONE_PLUS1, range(11, 18)), (_PHONE_INTL, range(10, 16))):
            for m in rx.finditer(text):
                before = text[m.start() - 1] if m.start() else " "
                if not (before.isalnum() or before in "_+") and sum(c.isdigit() for c in m.group()) in digits:
                    yield hit(m.start(), m.end(), "phone", RANK_SHAPE)


def _plan(text: str, low: str, m: re.Match[str]) -> Iterator[Hit]:
    if "olicy" in m.group()[:12] and _IT_POLICY.search(low, max(0, m.start() - 24), m.start()):
        return
    yield hit(m.start(1), m.end(1), "health_plan_id", RANK_LABEL)


def _cards(text: str) -> Iterator[Hit]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn_ok(digits):
            yield hit(m.start(), m.end(), "account_number", RANK_SHAPE)
    for m in _IBAN.finditer(text):
        iban = m.group()
        if int("".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])) % 97 == 1:
            yield hit(m.start(), m.end(), "account_number", RANK_SHAPE)


LABELS = (
    Label(("ssn", "ss", "s", "soc", "social"), _SSN_LABEL, value_of("ssn")),
    Label(tuple("mrn mr mrno med chart patient pat pt ptid empi emr".split()), _MRN, value_of("mrn")),
    Label(("dob", "d", "date", "birth", "born"), _DOB, value_of("dob")),
    Label(
        tuple("phone ph tel mobile cell fax callback call contact caller pager".split()),
        _PHONE_LABEL,
        value_of("phone"),
    ),
    Label(
        tuple(
            "member subscriber insurance insured policy health beneficiary medicaid medicare mbi hicn bcbs uhc aetna cigna humana".split()
        ),
        _PLAN_LABEL,
        _plan,
    ),
    Label(
        tuple(
            "patient billing guarantor bank checking savings hospital account acct credit card routing aba encounter visit har".split()
        ),
        _ACCOUNT_LABEL,
        value_of("account_number"),
    ),
    Label(("account",), _ACCOUNT_BARE, value_of("account_number")),
)
"""Labelled SSN, MRN, DOB, phone, health-plan and account values."""


def detect(text: str, low: str) -> Iterator[Hit]:
    """Shape-only candidates: dashed SSN, phone, Medicare MBI, payment card, IBAN."""
    yield from _ssns(text)
    yield from _phones(text)
    for m in _MBI.finditer(text):
        yield hit(m.start(), m.end(), "health_plan_id", RANK_SHAPE)
    yield from _cards(text)
