"""CVE matching against real NVD records: what NVD's configurations say, checked case by case."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from warehouse.cve_match import CveIndex, match_inventory, match_naive, read_inventory
from warehouse.errors import InventoryError, MatchError
from warehouse.feeds import nvd

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "cve"


@pytest.fixture(scope="module")
def records(shared_data: Path) -> nvd.NvdRecords:
    return nvd.load(shared_data / "nvd" / "cves.jsonl")


@pytest.fixture(scope="module")
def matches(records: nvd.NvdRecords) -> dict[tuple[str, str], list[dict]]:
    """(device, CVE) -> match rows for the fixture inventory."""
    out: dict[tuple[str, str], list[dict]] = {}
    for row in match_inventory(records, read_inventory(VECTORS / "inventory_nvd_semantics.csv")):
        out.setdefault((row["device_id"], row["cve_id"]), []).append(row)
    return out


def test_match_heartbleed_vulnerable_version_matches(matches: dict) -> None:
    # CVE-2014-0160: openssl versionStartIncluding 1.0.1, versionEndExcluding 1.0.1g.
    (row,) = matches[("heartbleed-1.0.1f", "CVE-2014-0160")]
    assert row["cpe"] == "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"
    assert row["cvss"] == 7.5


def test_match_heartbleed_fixed_version_not_matched(matches: dict) -> None:
    assert ("patched-1.0.1g", "CVE-2014-0160") not in matches


def test_match_inclusive_range_start_matches(matches: dict) -> None:
    assert ("range-start-1.0.1", "CVE-2014-0160") in matches


def test_match_unknown_installed_version_never_in_range(matches: dict) -> None:
    assert not [k for k in matches if k[0] == "unknown-openssl-version"]


def test_match_exclusive_bounds_exclude_both_edges(matches: dict) -> None:
    # CVE-2009-1378: versionStartExcluding 0.9.8, versionEndExcluding 0.9.8m.
    assert ("excl-start-0.9.8", "CVE-2009-1378") not in matches
    assert ("excl-end-0.9.8m", "CVE-2009-1378") not in matches
    assert ("excl-inside-0.9.8a", "CVE-2009-1378") in matches
    assert ("excl-inside-0.9.8l", "CVE-2009-1378") in matches


def test_match_and_configuration_on_named_platform_matches(matches: dict) -> None:
    # CVE-2016-1970: Firefox <= 44.0.2 (vulnerable) AND cpe:2.3:o:microsoft:windows (platform).
    (row,) = matches[("firefox-44.0.2-on-windows", "CVE-2016-1970")]
    assert row["cpe"] == "cpe:2.3:a:mozilla:firefox:44.0.2:*:*:*:*:*:*:*"  # the app, not the OS


def test_match_and_configuration_on_other_platform_not_matched(matches: dict) -> None:
    assert ("firefox-44.0.2-on-linux", "CVE-2016-1970") not in matches


def test_match_and_configuration_platform_alone_not_matched(matches: dict) -> None:
    # The OS is platform context (vulnerable=false): it is never reported by itself.
    assert ("windows-only", "CVE-2016-1970") not in matches
    assert not [k for k in matches if k[0] == "windows-only"]


def test_match_inclusive_range_end_edge_and_beyond(matches: dict) -> None:
    assert ("firefox-45.0-on-windows", "CVE-2016-1970") not in matches


def test_match_explicit_versions_app_on_os(matches: dict) -> None:
    # CVE-2001-0766: apache http_server 1.3.14 AND mac_os_x 10.0.3, both pinned versions.
    assert ("httpd-1.3.14-on-macos-10.0.3", "CVE-2001-0766") in matches
    assert ("httpd-1.3.14-on-macos-10.0.4", "CVE-2001-0766") not in matches


def test_match_not_applicable_component_matches_only_not_applicable(matches: dict) -> None:
    # CVE-2009-1378 names cpe:2.3:o:canonical:ubuntu_linux:8.04:*:*:*:-:... (sw_edition NA).
    assert ("ubuntu-8.04-sw-edition-na", "CVE-2009-1378") in matches
    assert ("ubuntu-8.04-lts", "CVE-2009-1378") not in matches


def test_match_indexed_equals_brute_force_on_random_inventory(records: nvd.NvdRecords) -> None:
    rng = random.Random(1)
    pool = sorted({(m["part"], m["vendor"], m["product"]) for m in records.cpe_matches})
    versions: dict[tuple[str, str, str], set[str]] = {}
    for m in records.cpe_matches:
        key = (m["part"], m["vendor"], m["product"])
        vs = versions.setdefault(key, {"-"})
        vs.update(v for v in (m["version"], m["version_start_including"], m["version_end_excluding"],
                              m["version_end_including"], m["version_start_excluding"]) if v and v != "*")
    platforms = ["cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", "cpe:2.3:o:apple:mac_os_x:10.0.3:*:*:*:*:*:*:*",
                 "cpe:2.3:o:debian:debian_linux:8.0:*:*:*:*:*:*:*"]
    inventory = []
    for d in range(25):
        inventory.append((f"dev{d}", rng.choice(platforms)))
        for key in rng.sample(pool, 6):
            inventory.append((f"dev{d}", "cpe:2.3:" + ":".join([*key, rng.choice(sorted(versions[key]))])
                              + ":*:*:*:*:*:*:*"))
    fast = match_inventory(records, inventory)
    assert fast == match_naive(records, inventory)
    assert len(fast) > 25  # the sample really exercises matching
    index = CveIndex.from_records(records)
    assert index.match_table(inventory).to_pylist() == fast
    assert [json.loads(line) for line in index.json_lines(inventory)] == fast


def _rows(*nodes: tuple[str, bool, list[tuple[str, bool]]], config_operator: str = "AND") -> list[dict]:
    rows = []
    for ni, (op, negate, entries) in enumerate(nodes):
        for criteria, vulnerable in entries:
            rows.append({"cve_id": "CVE-2099-0001", "config_index": 0, "config_operator": config_operator,
                         "node_index": ni, "operator": op, "negate": negate, "vulnerable": vulnerable,
                         "criteria": criteria})
    return rows


def test_match_negated_node_requires_platform_absent() -> None:
    index = CveIndex(_rows(("OR", False, [("cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*", True)]),
                           ("OR", True, [("cpe:2.3:o:acme:hardened_os:*:*:*:*:*:*:*:*", False)])))
    found = index.match([("plain", "cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*"),
                         ("hardened", "cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*"),
                         ("hardened", "cpe:2.3:o:acme:hardened_os:7:*:*:*:*:*:*:*")])
    assert [r["device_id"] for r in found] == ["plain"]


def test_match_embedded_wildcard_version_matches_prefix() -> None:
    index = CveIndex(_rows(("OR", False, [("cpe:2.3:a:acme:agent:2.1*:*:*:*:*:*:*:*", True)]),
                           config_operator="OR"))
    found = index.match([("a", "cpe:2.3:a:acme:agent:2.1.7:*:*:*:*:*:*:*"),
                         ("b", "cpe:2.3:a:acme:agent:2.2:*:*:*:*:*:*:*")])
    assert [r["device_id"] for r in found] == ["a"]


def test_match_and_node_needs_every_entry() -> None:
    index = CveIndex(_rows(("AND", False, [("cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*", True),
                                           ("cpe:2.3:a:acme:plugin:*:*:*:*:*:*:*:*", True)]),
                           config_operator="OR"))
    found = index.match([("one", "cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*"),
                         ("both", "cpe:2.3:a:acme:agent:2.0:*:*:*:*:*:*:*"),
                         ("both", "cpe:2.3:a:acme:plugin:1:*:*:*:*:*:*:*")])
    assert {(r["device_id"], r["cpe"].split(":")[4]) for r in found} == {("both", "agent"), ("both", "plugin")}


def test_match_empty_inventory_returns_nothing(records: nvd.NvdRecords) -> None:
    assert match_inventory(records, []) == []


def test_match_malformed_cpe_in_pairs_raises_inventory_error(records: nvd.NvdRecords) -> None:
    with pytest.raises(InventoryError, match="row 2"):
        match_inventory(records, [("d", "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"), ("d", "openssl")])


@pytest.mark.parametrize(
    ("vector", "words"),
    [
        ("inventory_missing_cpe_column.csv", "device_id and cpe"),
        ("inventory_bad_cpe_on_line_3.csv", "line 3"),
        ("inventory_empty_device_id.csv", "line 3"),
    ],
)
def test_read_inventory_broken_file_raises_typed_error(vector: str, words: str) -> None:
    with pytest.raises(InventoryError, match=words):
        read_inventory(VECTORS / vector)


def test_read_inventory_not_utf8_raises_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "inv.csv"
    path.write_bytes(b"device_id,cpe\n\xff\xfe,\x80\n")
    with pytest.raises(MatchError):
        read_inventory(path)


def test_read_inventory_missing_file_raises_typed_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read"):
        read_inventory(tmp_path / "nope.csv")
