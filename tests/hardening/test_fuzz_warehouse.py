"""Fuzzing the warehouse parsers of outside bytes: `.ots` proofs, block headers, NVD JSON, OSCAL catalogs and profiles.

Each input either parses or raises the package's documented `WarehouseError` subclass (OtsParseError,
HeaderError, NvdParseError / NvdShapeError, OscalParseError / OscalShapeError / OscalImportError);
anything else, or a call slower than the deadline, is a bug. Samples are the real reference files.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hardening._fuzz import FUZZ, dumps, hostile_bytes, materialize, mutated_doc
from warehouse.errors import FeedError, WarehouseError
from warehouse.evidence.attest import verify_ots
from warehouse.evidence.errors import EvidenceVerifyError, OtsParseError
from warehouse.evidence.headers import HeadersFile
from warehouse.evidence.ots import parse_ots
from warehouse.feeds.nvd import parse_items, read_items
from warehouse.feeds.oscal import load_catalog, parse_catalog, resolve_profile
from warehouse.settings import reference_data_dir

pytestmark = pytest.mark.timeout(180)

DATA = reference_data_dir() or Path(__file__).resolve().parents[3] / "shared" / "data"
OTS = DATA / "ots"
_PROOFS = [(OTS / name).read_bytes() for name in
           ("hello-world.txt.ots", "merkle2.txt.ots", "two-calendars.txt.ots", "known-and-unknown-notary.txt.ots",
            "incomplete.txt.ots")]
_HEADERS_DOC = json.loads((OTS / "block_headers.json").read_text())


def _nvd_samples() -> list[dict]:
    # Items with every part the parser walks: CVSS metrics, weaknesses, configurations, KEV dates.
    items = [json.loads(line) for line in (DATA / "nvd" / "cves.jsonl").read_text().splitlines()[:400] if line]
    rich = [i for i in items if i["cve"].get("configurations") and i["cve"].get("weaknesses")]
    kev = [i for i in items if "cisaExploitAdd" in i["cve"]]
    return (rich[:2] + kev[:1]) or items[:3]


NVD_ITEMS = _nvd_samples()
NVD_PAGE = {"resultsPerPage": len(NVD_ITEMS), "startIndex": 0, "totalResults": len(NVD_ITEMS), "format": "NVD_CVE",
            "version": "2.0", "timestamp": "2024-05-10T00:00:00.000", "vulnerabilities": NVD_ITEMS}


def _small_catalog() -> dict:
    """Two families of the real 800-53 catalog, two controls each (with params, parts, enhancements)."""
    doc = json.loads((DATA / "oscal" / "NIST_SP-800-53_rev5_catalog.json").read_bytes())
    cat = doc["catalog"]
    groups = []
    for group in cat["groups"][:2]:
        groups.append({**group, "controls": group["controls"][:2]})
    return {"catalog": {"uuid": cat["uuid"], "metadata": cat["metadata"], "groups": groups}}


CATALOG = _small_catalog()
PROFILE = {"profile": {
    "uuid": "0b8f0f2a-0000-4000-8000-000000000001", "metadata": {"title": "fuzz baseline"},
    "imports": [{"href": "#cat", "include-controls": [{"with-ids": ["ac-1", "ac-2", "ac-2.1"]},
                                                      {"matching": [{"pattern": "at-*"}],
                                                       "with-child-controls": "yes"}],
                 "exclude-controls": [{"with-ids": ["ac-1"]}]}],
    "back-matter": {"resources": [{"uuid": "cat", "rlinks": [{"href": "catalog.xml"},
                                                              {"href": "catalog.json",
                                                               "media-type": "application/oscal.catalog+json"}]}]},
}}


@pytest.fixture(scope="module")
def workdir():
    """A directory for the files the path-taking parsers read (hypothesis reuses it across examples)."""
    with tempfile.TemporaryDirectory(prefix="osiris-fuzz-") as name:
        path = Path(name)
        (path / "catalog.json").write_bytes(dumps(CATALOG))
        yield path


@FUZZ
@given(data=st.one_of(*(hostile_bytes(sample_bytes=p) for p in _PROOFS)))
def test_parse_ots_hostile_bytes_typed_error(data):
    try:
        parse_ots(data)
    except OtsParseError:
        pass


@FUZZ
@given(data=st.one_of(*(hostile_bytes(sample_bytes=p) for p in _PROOFS[:2])))
def test_verify_ots_hostile_proof_typed_error(data):
    # The whole offline check: parse, walk every attestation, compare with the supplied headers.
    headers = HeadersFile(_HEADERS_DOC)
    try:
        verify_ots(data, headers, data=b"Hello World!\n")
    except EvidenceVerifyError:
        pass


@settings(FUZZ, max_examples=100)
@given(data=hostile_bytes(_HEADERS_DOC))
def test_headers_file_hostile_json_typed_error(workdir, data):
    path = workdir / "hostile-headers.json"
    path.write_bytes(data)
    try:
        headers = HeadersFile.load(path)
        for height in headers.heights()[:3]:
            headers.header(height)
    except EvidenceVerifyError:
        pass


@FUZZ
@given(data=st.one_of(hostile_bytes(NVD_PAGE), hostile_bytes(NVD_ITEMS[0]),
                      hostile_bytes(sample_bytes=b"\n".join(dumps(i) for i in NVD_ITEMS))))
def test_nvd_read_and_parse_hostile_bytes_typed_error(data):
    try:
        parse_items(read_items(data, name="fuzz"))
    except FeedError:
        pass


@FUZZ
@given(doc=st.lists(mutated_doc(NVD_ITEMS[0], max_edits=4), min_size=1, max_size=2))
def test_nvd_parse_items_hostile_objects_typed_error(doc):
    try:
        parse_items(materialize(doc))
    except FeedError:
        pass


@FUZZ
@given(doc=mutated_doc(CATALOG["catalog"], max_edits=4))
def test_oscal_parse_catalog_hostile_objects_typed_error(doc):
    try:
        parse_catalog(materialize(doc)).summary()
    except FeedError:
        pass


@settings(FUZZ, max_examples=100)
@given(data=hostile_bytes(CATALOG))
def test_oscal_load_catalog_hostile_file_typed_error(workdir, data):
    path = workdir / "hostile-catalog.json"
    path.write_bytes(data)
    try:
        load_catalog(path).summary()
    except FeedError:
        pass


@settings(FUZZ, max_examples=100)
@given(data=hostile_bytes(PROFILE))
def test_oscal_resolve_profile_hostile_file_typed_error(workdir, data):
    path = workdir / "hostile-profile.json"
    path.write_bytes(data)
    try:
        resolve_profile(path).summary()
    except FeedError:
        pass


def test_fuzz_samples_are_valid(workdir):
    # Mutations start from inputs that pass, or the fuzzing would never get past the first check.
    for proof in _PROOFS:
        parse_ots(proof)
    assert HeadersFile(_HEADERS_DOC).heights()
    assert len(parse_items(read_items(dumps(NVD_PAGE))).cves) == len(NVD_ITEMS)
    assert parse_catalog(CATALOG["catalog"]).summary()["controls"] >= 4
    (workdir / "profile.json").write_bytes(dumps(PROFILE))
    assert resolve_profile(workdir / "profile.json").selected
    assert issubclass(FeedError, WarehouseError)
