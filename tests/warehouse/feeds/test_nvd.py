"""NVD CVE API 2.0 parsing over every real file in shared/data/nvd, and over broken input."""

from __future__ import annotations

import copy
import gzip
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from warehouse.errors import FeedError, NvdParseError, NvdShapeError
from warehouse.feeds import nvd, to_arrow


@pytest.fixture(scope="module")
def jsonl(shared_data: Path) -> nvd.NvdRecords:
    return nvd.load(shared_data / "nvd" / "cves.jsonl")


@pytest.fixture(scope="module")
def heartbleed_item(shared_data: Path) -> dict:
    for line in (shared_data / "nvd" / "cves.jsonl").read_text().splitlines():
        if '"id":"CVE-2014-0160"' in line:
            return json.loads(line)
    raise AssertionError("CVE-2014-0160 not in cves.jsonl")


def test_load_jsonl_counts_match_data_readme(jsonl: nvd.NvdRecords) -> None:
    # README: 1169 records, 16593 cpeMatch entries of which 488 are vulnerable=false, 24 KEV.
    assert len(jsonl.cves) == 1169
    assert len(jsonl.cpe_matches) == 16593
    assert sum(1 for m in jsonl.cpe_matches if not m["vulnerable"]) == 488
    assert sum(1 for c in jsonl.cves if c["kev_added"]) == 24
    bounds = Counter(k for m in jsonl.cpe_matches for k in
                     ("version_start_including", "version_start_excluding", "version_end_including",
                      "version_end_excluding") if m[k])
    assert bounds == {"version_start_including": 461, "version_start_excluding": 2,
                      "version_end_including": 1332, "version_end_excluding": 456}
    assert Counter(c["status"] for c in jsonl.cves) == {"Modified": 965, "Analyzed": 204}


def test_load_jsonl_and_configurations_counted(jsonl: nvd.NvdRecords) -> None:
    and_configs = {(m["cve_id"], m["config_index"]) for m in jsonl.cpe_matches if m["config_operator"] == "AND"}
    assert len(and_configs) == 253


def test_parse_heartbleed_fields(jsonl: nvd.NvdRecords) -> None:
    row = next(c for c in jsonl.cves if c["cve_id"] == "CVE-2014-0160")
    assert row["published"] == datetime(2014, 4, 7, 22, 55, 3, 893000, tzinfo=UTC)
    assert row["cvss_v31_score"] == 7.5 and row["cvss_v31_severity"] == "HIGH"
    assert row["cvss_v31_vector"].startswith("CVSS:3.1/AV:N")
    assert row["cvss_v2_score"] == 5.0 and row["cvss_v2_severity"] == "MEDIUM"
    assert (row["cvss_score"], row["cvss_version"]) == (7.5, "3.1")
    assert row["cwes"] == ["CWE-125"]
    assert row["kev_added"] == date(2022, 5, 4)
    assert row["description_en"].startswith("The (1) TLS and (2) DTLS implementations in OpenSSL")
    first = next(m for m in jsonl.cpe_matches if m["cve_id"] == "CVE-2014-0160")
    assert (first["vendor"], first["product"], first["version"]) == ("openssl", "openssl", "*")
    assert (first["version_start_including"], first["version_end_excluding"]) == ("1.0.1", "1.0.1g")
    assert (first["config_index"], first["node_index"], first["operator"], first["negate"]) == (0, 0, "OR", False)


def test_read_items_every_shared_file_parses(shared_data: Path) -> None:
    expected = {"nvd-go_cves-1999-page.json": 200, "nvd-go_cves-startIndex200000-page.json": 200,
                "vunnel_full-page.json": 38, "nvd-go_cves-CVE-2023-0001.json": 1,
                "nvd-go_cve-2022-44006-item.json": 1, "dependency-track_cve-2024-23113-item.json": 1,
                "nvdcve-modified_2023-12-07.json.gz": 1510, "nvdcve-modified_2024-05-10.json.gz": 1755}
    files = sorted((shared_data / "nvd").glob("*.gz")) + sorted((shared_data / "nvd" / "api_responses").glob("*.json"))
    parsed = 0
    for path in files:
        if "cpematch" in path.name:
            continue  # a CPE Match API response: refused in its own test
        records = nvd.load(path)
        assert records.cves, path.name
        assert len(records.cves) == expected.get(path.name, 1), path.name
        parsed += 1
    assert parsed == 31  # 2 feeds + 29 CVE responses / items


def test_load_tolerates_newer_fields(shared_data: Path) -> None:
    # CVE-2024-3094 carries ssvcV203, affected and cveTags, none in the July-2023 schema.
    records = nvd.load(shared_data / "nvd" / "api_responses" / "osv.dev_CVE-2024-3094.json")
    (row,) = records.cves
    assert row["cvss_score"] == 10.0 and row["cwes"] == ["CWE-506"]


def test_parse_cve_tags_collected(shared_data: Path) -> None:
    (row,) = nvd.load(shared_data / "nvd" / "api_responses" / "osv.dev_CVE-2022-25761.json").cves
    assert isinstance(row["tags"], list)


def test_parse_items_unknown_fields_everywhere_ignored(heartbleed_item: dict) -> None:
    item = copy.deepcopy(heartbleed_item)
    item["extra"] = 1
    item["cve"]["futureField"] = {"x": [1]}
    item["cve"]["metrics"]["cvssMetricV99"] = [{"anything": True}]
    item["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]["newBound"] = "9"
    assert nvd.parse_items([item]) == nvd.parse_items([heartbleed_item])


def test_parse_items_cvss_v40_preferred_as_best(heartbleed_item: dict) -> None:
    item = copy.deepcopy(heartbleed_item)
    item["cve"]["metrics"]["cvssMetricV40"] = [{
        "source": "nvd@nist.gov", "type": "Primary",
        "cvssData": {"version": "4.0", "baseScore": 8.7, "baseSeverity": "HIGH",
                     "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"}}]
    (row,) = nvd.parse_items([item]).cves
    assert (row["cvss_v40_score"], row["cvss_v40_severity"]) == (8.7, "HIGH")
    assert row["cvss_v40_vector"].startswith("CVSS:4.0/")
    assert (row["cvss_score"], row["cvss_version"], row["cvss_severity"]) == (8.7, "4.0", "HIGH")


def test_parse_items_primary_metric_preferred_over_secondary(heartbleed_item: dict) -> None:
    item = copy.deepcopy(heartbleed_item)
    metric = item["cve"]["metrics"]["cvssMetricV31"][0]
    cna = copy.deepcopy(metric) | {"source": "cna@example", "type": "Secondary"}
    cna["cvssData"] = dict(cna["cvssData"], baseScore=9.9)
    item["cve"]["metrics"]["cvssMetricV31"] = [cna, metric]
    assert nvd.parse_items([item]).cves[0]["cvss_v31_score"] == 7.5


def test_parse_items_duplicate_keeps_latest_modification(heartbleed_item: dict) -> None:
    newer = copy.deepcopy(heartbleed_item)
    newer["cve"]["lastModified"] = "2099-01-01T00:00:00.000"
    newer["cve"]["vulnStatus"] = "Reanalyzed"
    records = nvd.parse_items([newer, heartbleed_item])
    assert [c["status"] for c in records.cves] == ["Reanalyzed"]
    assert len(records.cpe_matches) == len(nvd.parse_items([heartbleed_item]).cpe_matches)


def test_read_items_jsonl_gzip_and_bytes_agree(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "nvd" / "cves.jsonl").read_bytes()
    gz = tmp_path / "cves.jsonl.gz"
    gz.write_bytes(gzip.compress(raw))
    assert nvd.read_items(gz) == nvd.read_items(raw) == nvd.read_items(shared_data / "nvd" / "cves.jsonl")


def test_to_arrow_typed_tables(jsonl: nvd.NvdRecords) -> None:
    cves = to_arrow(jsonl.cves, nvd.CVE_SCHEMA)
    matches = to_arrow(jsonl.cpe_matches, nvd.CPE_MATCH_SCHEMA)
    assert cves.num_rows == 1169 and matches.num_rows == 16593
    assert str(cves.schema.field("published").type) == "timestamp[us, tz=UTC]"
    assert to_arrow([], nvd.CVE_SCHEMA).schema == cves.schema


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (b"", NvdParseError, "empty"),
        (b'{"resultsPerPage": 1, "vulnerabilities": [', NvdParseError, "invalid JSON"),
        (b'{"cve": {"id": "CVE-2014-0160"}}\n{"cve": \n', NvdParseError, "line 2"),
        (b"\x1f\x8b\x08\x00garbage", NvdParseError, "gzip"),
        (b"\xff\xfe\x00", NvdParseError, "UTF-8"),
        (b"[1, 2]", NvdShapeError, "JSON object"),
        (b'{"totalResults": 0}', NvdShapeError, "neither"),
        (b'{"vulnerabilities": {"cve": {}}}', NvdShapeError, "must be a list"),
    ],
)
def test_read_items_broken_input_raises_typed_error(payload: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        nvd.read_items(payload, name="input")


def test_read_items_cpematch_response_refused(shared_data: Path) -> None:
    with pytest.raises(NvdShapeError, match="CPE Match API"):
        nvd.read_items(shared_data / "nvd" / "api_responses" / "nvd-go_cpematch-CVE-2022-32223.json")


def test_read_items_missing_file_raises_typed_error(tmp_path: Path) -> None:
    with pytest.raises(NvdParseError, match="cannot read"):
        nvd.read_items(tmp_path / "absent.json")


def _broken(item: dict, path: list, value: object) -> dict:
    item = copy.deepcopy(item)
    target = item
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return item


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (["cve"], "not an object", "expected"),
        (["cve", "id"], "HEARTBLEED", "malformed CVE id"),
        (["cve", "published"], "yesterday", "ISO timestamp"),
        (["cve", "configurations"], {"nodes": []}, "must be a list"),
        (["cve", "configurations", 0, "nodes", 0, "cpeMatch", 0, "criteria"], "cpe:/a:openssl", "CPE 2.3"),
        (["cve", "configurations", 0, "nodes", 0, "cpeMatch", 0, "criteria"], None, "without criteria"),
        (["cve", "metrics", "cvssMetricV31", 0, "cvssData", "baseScore"], "high", "not a number"),
        (["cve", "metrics"], [], "must be an object"),
        (["cve", "cisaExploitAdd"], "soon", "not a date"),
    ],
)
def test_parse_items_wrong_shape_raises_typed_error(heartbleed_item: dict, path: list, value: object,
                                                    words: str) -> None:
    with pytest.raises(NvdShapeError, match=words) as caught:
        nvd.parse_items([_broken(heartbleed_item, path, value)])
    assert isinstance(caught.value, FeedError)
