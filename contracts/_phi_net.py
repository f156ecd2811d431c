"""Detectors for email addresses, URLs and IP addresses (IPv4, IPv6, `ip-10-0-1-23` host names).

Loopback, unspecified, multicast and netmask values identify nobody and are kept, as are dotted
numbers that are versions: four-part builds look exactly like IPv4 ("Plugin 4.0.2.8").
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from contracts._phi_base import RANK_SHAPE, RANK_URL, Hit, hit

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9_.%+-]{1,64}$")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])"
)
_SCHEME = re.compile(r"(?:https?|s?ftps?|smb|cifs|ldaps?|wss?|file|ssh|rdp|vnc|telnet|nfs)$")
_URL_REST = re.compile(r"(?:\[[0-9a-z:.%]{1,60}\])?[^\s<>\"'`|^{}\[\]\\]{0,4096}")
_URL_TRAIL = ".,;:!?)'\""
_OCT = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"{_OCT}(?:\.{_OCT}){{3}}")
_IPV4_SCAN = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")  # a digit first: fast to scan
_IPV4_DASHED = re.compile(rf"(?<![a-z0-9])ip-({_OCT}(?:-{_OCT}){{3}})(?![\w-]|\.\d)")
# Uncompressed addresses: a ":" first lets `re` jump from colon to colon.
_V6_FULL = re.compile(r":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
_V6_LEFT = re.compile(r"[0-9A-Fa-f:]{0,39}$")
_V6_RIGHT = re.compile(r"(?:[0-9A-Fa-f:]{0,29}:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]{0,39})(?:%[\w.-]{1,15})?")
# Versions: a version word at most one token before, "and earlier" after, or a list with a member
# that cannot be an IPv4 ("22.9.1.2603, 22.8.2.11"). "through" is not one: DHCP ranges use it too.
_VERSION_WORDS = tuple(
    "versi ver build release edition firmware rev driver plugin patched prior before up to grade anterior hasta".split()
)
_VERSION_BEFORE = re.compile(
    r"(?:versi[oó]n(?:e?s)?|\bver|\bbuild|\brelease|\bedition|\bfirmware|\brev(?:ision)?|\bdriver|\bplugin"
    r"|\bpatched in|\bprior to|\bbefore|\bup to|\b(?:up|down)grade[ds]? to|\banterior(?:es)? a|\bhasta)\b"
    r"(?:[ :=#]+[^\s,;]{1,15})?[ :=#]*$"
)
_VERSION_AFTER = re.compile(r"\s*(?:and|or|y|o)\s+(?:earlier|later|prior|anteriores|posteriores)\b")
_DOTTED_RUN = re.compile(
    r"\d(?<![\w.]\d)[\d.]*(?:(?:,\s*(?:and\s+|or\s+|y\s+)?|\s+(?:and|or|y|through|to|a)\s+)\d+(?:\.\d+)+)+(?![\w.])"
)
_DOTTED = re.compile(r"\d+(?:\.\d+)+")


def _emails(text: str) -> Iterator[Hit]:
    pos = text.find("@")
    while pos >= 0:
        local = _EMAIL_LOCAL.search(text, max(0, pos - 64), pos)
        domain = _EMAIL_DOMAIN.match(text, pos + 1)
        if local and domain:
            start = local.start()
            while start < pos and not text[start].isalnum():  # a local part starts with a letter or digit
                start += 1
            if start < pos:
                yield hit(start, domain.end(), "email", RANK_SHAPE)
        pos = text.find("@", pos + 1)


def _url_starts(text: str, low: str) -> Iterator[tuple[int, int]]:
    """(start of the URL, where its host part starts) for every scheme:// and www. in the text."""
    pos = text.find("://")
    while pos >= 0:
        scheme = _SCHEME.search(low, max(0, pos - 6), pos)
        if scheme:
            yield scheme.start(), pos + 3
        pos = text.find("://", pos + 3)
    pos = low.find("www.")
    while pos >= 0:
        yield pos, pos
        pos = low.find("www.", pos + 4)


def _urls(text: str, low: str) -> Iterator[Hit]:
    last_end = -1
    for start, host in sorted(_url_starts(text, low)):
        if start < last_end or (start and (low[start - 1].isalnum() or low[start - 1] in "_.+-")):
            continue  # inside the URL before it ("http://a/?next=http://b"), or inside a word
        end = _URL_REST.match(low, host).end()
        # Trailing punctuation belongs to the sentence, except a ')' the URL itself opened.
        while end > host and text[end - 1] in _URL_TRAIL:
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            end -= 1
        if end - host >= 2:
            last_end = end
            yield hit(start, end, "url", RANK_URL)


def _identifying_v4(addr: str) -> bool:
    first = int(addr.split(".", 1)[0])
    return first not in (0, 127) and first < 224  # 224+ is multicast, reserved, broadcast and masks


def _versionish(low: str, start: int, end: int) -> bool:
    window = low[max(0, start - 36) : start]
    if any(w in window for w in _VERSION_WORDS) and _VERSION_BEFORE.search(window):
        return True
    return bool(_VERSION_AFTER.match(low, end))


def _in_version_list(text: str, start: int, end: int) -> bool:
    """Whether the dotted number at start..end is in a list where some member is no IPv4."""
    offset = max(0, start - 80)
    for run in _DOTTED_RUN.finditer(text, offset, min(len(text), end + 80)):
        if run.start() <= start and end <= run.end():
            return not all(_IPV4.fullmatch(d.group()) for d in _DOTTED.finditer(run.group()))
    return False


def _ipv4s(text: str, low: str) -> Iterator[Hit]:
    for m in _IPV4_SCAN.finditer(text):
        s = m.start()
        if s and (text[s - 1].isalnum() or text[s - 1] in "_."):
            continue
        if not _IPV4.fullmatch(m.group()) or not _identifying_v4(m.group()):
            continue
        if not _versionish(low, s, m.end()) and not _in_version_list(text, s, m.end()):
            yield hit(s, m.end(), "ip_address", RANK_SHAPE)
    if "ip-" in low:
        for m in _IPV4_DASHED.finditer(low):
            if _identifying_v4(m.group(1).replace("-", ".")):
                yield hit(m.start(1), m.end(1), "ip_address", RANK_SHAPE)


def _v6_candidates(text: str) -> Iterator[tuple[int, int]]:
    pos = text.find("::")
    while pos >= 0:
        left = _V6_LEFT.search(text, max(0, pos - 39), pos)
        right = _V6_RIGHT.match(text, pos)
        if left and right:
            yield left.start(), right.end()
            pos = text.find("::", right.end())
        else:
            pos = text.find("::", pos + 2)
    if text.count(":") >= 7:
        for m in _V6_FULL.finditer(text):
            left = _V6_LEFT.search(text, max(0, m.start() - 4), m.start())
            start = left.start() if left else m.start()
            right = _V6_RIGHT.match(text, start)
            if right and right.group().count(":") == 7:
                yield start, right.end()


def _ipv6s(text: str) -> Iterator[Hit]:
    for start, end in _v6_candidates(text):
        if (start and (text[start - 1].isalnum() or text[start - 1] in "_:.")) or (
            end < len(text) and (text[end].isalnum() or text[end] in "_:.")
        ):
            continue
        cand = text[start:end]
        for _ in range(2):  # "addr:port" is common in logs: retry once without the last group
            try:
                ip = ipaddress.IPv6Address(cand.split("%", 1)[0])
            except ValueError:
                cand = cand.rsplit(":", 1)[0] if cand.count(":") > 2 else ""
                continue
            prefix = cand.endswith("::") and text.startswith("/", end)  # a route, not a host
            if not (ip.is_unspecified or ip.is_loopback or prefix):
                yield hit(start, start + len(cand), "ip_address", RANK_SHAPE)
            break


def detect(text: str, low: str) -> Iterator[Hit]:
    """Candidates for email, URL and IP address; `low` is `text` lower-cased."""
    if "@" in text:
        yield from _emails(text)
    if "://" in text or "www." in low:
        yield from _urls(text, low)
    if "." in text:
        yield from _ipv4s(text, low)
    if ":" in text:
        yield from _ipv6s(text)
