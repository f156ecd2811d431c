"""CPE 2.3 parsing and version ordering: the primitives every CVE match depends on."""

from __future__ import annotations

import pytest

from warehouse.cpe import Cpe, compare_versions, has_wildcard, parse_cpe, unescape, version_key
from warehouse.errors import CpeParseError


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.0.1f", "1.0.1g"),  # OpenSSL letter releases come after the plain one
        ("1.0.1g", "1.0.1h"),
        ("1.0.1", "1.0.1a"),
        ("0.9.8l", "0.9.8m"),
        ("2.4.9", "2.4.10"),  # numeric, not string, order
        ("10.0.9200", "10.0.19041.1"),
        ("10.0.19041.1", "10.0.19041.1000"),
        ("2.0-rc1", "2.0"),  # pre-releases sort before their release
        ("2.0-beta2", "2.0-rc1"),
        ("2.0.0-alpha", "2.0"),
        ("44.0", "44.0.2"),
        ("1.0a", "1.0.1"),
        ("15.2(4)m", "15.2(4)m1"),
    ],
)
def test_compare_versions_known_pairs_ordered(older: str, newer: str) -> None:
    assert compare_versions(older, newer) == -1
    assert compare_versions(newer, older) == 1
    assert version_key(older) < version_key(newer)


@pytest.mark.parametrize(("a", "b"), [("1.0", "1.0.0"), ("v1.2", "1.2"), ("2.0", "2.0.0.0"), ("1.0\\(1\\)", "1.0(1)")])
def test_compare_versions_equivalent_spellings_equal(a: str, b: str) -> None:
    assert compare_versions(a, b) == 0


def test_compare_versions_string_order_would_be_wrong() -> None:
    # The reason for the comparator: as strings, "2.4.10" < "2.4.9" and "10.0" < "9.0".
    assert "2.4.10" < "2.4.9" and compare_versions("2.4.10", "2.4.9") == 1
    assert "10.0" < "9.0" and compare_versions("10.0", "9.0") == 1


def test_parse_cpe_plain_string_components() -> None:
    cpe = parse_cpe("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*")
    assert cpe == Cpe("a", "openssl", "openssl", "1.0.1f", "*", "*", "*", "*", "*", "*", "*")
    assert cpe.to_string() == "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"


def test_parse_cpe_escaped_colon_and_punctuation_kept_in_component() -> None:
    cpe = parse_cpe(r"cpe:2.3:a:acme:web\:server:1.0\(2\):*:*:*:*:*:*:*")
    assert cpe.product == r"web\:server"
    assert cpe.version == r"1.0\(2\)"
    assert unescape(cpe.version) == "1.0(2)"


def test_parse_cpe_needless_escapes_and_case_canonicalised() -> None:
    a = parse_cpe(r"cpe:2.3:A:Mozilla:Firefox:44\.0:*:*:*:*:*:*:*")
    assert a == parse_cpe("cpe:2.3:a:mozilla:firefox:44.0:*:*:*:*:*:*:*")


def test_parse_cpe_literal_asterisk_distinct_from_any() -> None:
    literal = parse_cpe(r"cpe:2.3:a:acme:tool:\*:*:*:*:*:*:*:*")
    assert literal.version == r"\*" and literal.version != "*"
    assert not has_wildcard(literal.version)
    assert has_wildcard(parse_cpe("cpe:2.3:a:acme:tool:1.2*:*:*:*:*:*:*:*").version)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cpe:/a:openssl:openssl:1.0.1f",  # CPE 2.2 URI, not a 2.3 formatted string
        "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*",  # 10 components
        "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*:*",  # 12 components
        "cpe:2.3:x:openssl:openssl:1.0.1f:*:*:*:*:*:*:*",  # no such part
        "cpe:2.3:a:openssl::1.0.1f:*:*:*:*:*:*:*",  # empty component
        "cpe:2.3:a:open ssl:openssl:1.0.1f:*:*:*:*:*:*:*",  # whitespace
        "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*\\",  # dangling escape
    ],
)
def test_parse_cpe_malformed_raises_typed_error(text: str) -> None:
    with pytest.raises(CpeParseError):
        parse_cpe(text)


def test_parse_cpe_non_string_raises_typed_error() -> None:
    with pytest.raises(CpeParseError):
        parse_cpe(None)  # type: ignore[arg-type]
