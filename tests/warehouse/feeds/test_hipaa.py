"""The HIPAA Security Rule to SP 800-53 crosswalk: id normalisation and joins to the real catalog."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from warehouse.errors import CrosswalkError
from warehouse.feeds import hipaa, oscal, to_arrow


@pytest.fixture(scope="module")
def catalog(shared_data: Path) -> oscal.Catalog:
    return oscal.load_catalog(shared_data / "oscal" / "NIST_SP-800-53_rev5_catalog.json")


@pytest.fixture(scope="module")
def rows(shared_data: Path, catalog: oscal.Catalog) -> list[dict]:
    return hipaa.load_crosswalk(shared_data / "hipaa", {c["control_id"]: c["title"] for c in catalog.controls})


@pytest.mark.parametrize(
    ("raw", "oscal_id"),
    [("AC-02", "ac-2"), ("CP-02(08)", "cp-2.8"), ("RA-02(01)", "ra-2.1"), ("SC-13", "sc-13"),
     ("ac-2", "ac-2"), ("PE-3 (1)", "pe-3.1"), ("SI-04", "si-4")],
)
def test_normalize_control_id_cprt_to_oscal(raw: str, oscal_id: str) -> None:
    assert hipaa.normalize_control_id(raw) == oscal_id


@pytest.mark.parametrize("raw", ["", "AC", "AC-", "A-02", "AC-02(", "164.308(a)(1)", "ID.GV-1", None])
def test_normalize_control_id_garbage_raises_typed_error(raw: object) -> None:
    with pytest.raises(CrosswalkError):
        hipaa.normalize_control_id(raw)  # type: ignore[arg-type]


def test_load_crosswalk_counts_match_source(rows: list[dict]) -> None:
    # SOURCE.txt / README: 279 rows to SP 800-53 (274 control + 5 enhancement), 108 targets.
    assert len(rows) == 279
    assert Counter(r["target_type"] for r in rows) == {"control": 274, "control_enhancement": 5}
    assert len({r["control_id"] for r in rows}) == 108
    enhancements = {r["control_id"] for r in rows if r["target_type"] == "control_enhancement"}
    assert enhancements == {"cp-2.8", "ra-2.1", "cp-9.1", "pe-3.1"}


def test_load_crosswalk_every_target_resolves_in_catalog(rows: list[dict], catalog: oscal.Catalog) -> None:
    assert hipaa.unresolved(rows, {c["control_id"] for c in catalog.controls}) == []
    assert all(r["control_title"] for r in rows)


def test_load_crosswalk_element_titles_from_regulation(rows: list[dict]) -> None:
    titles = {r["hipaa_element"]: (r["element_title"], r["requirement"]) for r in rows}
    assert len(titles) == 68
    assert titles["164.308(a)(1)(ii)(A)"] == ("Risk analysis", "Required")
    assert titles["164.310(a)"] == ("Facility access controls", None)  # CPRT's (a) is the CFR's (a)(1)
    assert titles["164.312(a)(2)(iv)"] == ("Encryption and decryption", "Addressable")
    assert titles["164.314(a)(2)(i)"] == ("Business associate contracts", "Required")  # inherited
    assert titles["164.316(b)(2)(i)"] == ("Time limit", "Required")
    assert sum(1 for t, _ in titles.values() if t) >= 64


def test_load_crosswalk_known_row(rows: list[dict]) -> None:
    row = next(r for r in rows if r["source_control_id"] == "CP-02(08)")
    assert row["control_id"] == "cp-2.8"
    assert row["control_title"] == "Identify Critical Assets"
    assert to_arrow(rows, hipaa.CROSSWALK_SCHEMA).num_rows == 279


def test_unresolved_names_missing_controls(rows: list[dict]) -> None:
    assert hipaa.unresolved(rows, {"ac-1"})[:2] == ["ac-11", "ac-12"]


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ([], "rows"),
        ({"rows": "x"}, "rows"),
        ({"rows": [1]}, "row 0"),
        ({"rows": [{"set": "SP 800-53 Rev 5.1.1", "security_rule_element": "164.308(a)(1)", "target_id": "XX"}]},
         "row 0"),
        ({"rows": [{"set": "SP 800-53 Rev 5.1.1", "security_rule_element": "section one", "target_id": "AC-02"}]},
         "Security Rule element"),
    ],
)
def test_parse_crosswalk_malformed_raises_typed_error(doc: object, words: str) -> None:
    with pytest.raises(CrosswalkError, match=words):
        hipaa.parse_crosswalk(doc)


def test_load_crosswalk_broken_file_raises_typed_error(tmp_path: Path) -> None:
    (tmp_path / hipaa.CROSSWALK_FILE).write_text('{"rows": [')
    with pytest.raises(CrosswalkError, match="not valid JSON"):
        hipaa.load_crosswalk(tmp_path)
    with pytest.raises(CrosswalkError, match="cannot read"):
        hipaa.load_crosswalk(tmp_path / "absent")


def test_load_crosswalk_without_title_sources_still_joins(tmp_path: Path, shared_data: Path) -> None:
    doc = json.loads((shared_data / "hipaa" / hipaa.CROSSWALK_FILE).read_text())
    (tmp_path / hipaa.CROSSWALK_FILE).write_text(json.dumps(doc))
    rows = hipaa.load_crosswalk(tmp_path)
    assert len(rows) == 279 and all(r["element_title"] is None for r in rows)
