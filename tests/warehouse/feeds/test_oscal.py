"""The real NIST SP 800-53 rev5 catalog and its baselines, resolved and compared with NIST's own output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from warehouse.errors import OscalImportError, OscalParseError, OscalShapeError
from warehouse.feeds import oscal, to_arrow

CATALOG = "NIST_SP-800-53_rev5_catalog.json"


@pytest.fixture(scope="module")
def oscal_dir(shared_data: Path) -> Path:
    return shared_data / "oscal"


@pytest.fixture(scope="module")
def catalog(oscal_dir: Path) -> oscal.Catalog:
    return oscal.load_catalog(oscal_dir / CATALOG)


def test_load_catalog_exact_counts(catalog: oscal.Catalog) -> None:
    assert catalog.summary() == {"groups": 20, "controls": 322, "enhancements": 867, "withdrawn": 182}
    assert catalog.version == "5.0.1"
    kinds = Counter((c["kind"], c["withdrawn"]) for c in catalog.controls)
    assert kinds == {("control", False): 298, ("control", True): 24,
                     ("enhancement", False): 709, ("enhancement", True): 158}


def test_load_catalog_family_sizes(catalog: oscal.Catalog) -> None:
    sizes = {g["group_id"]: g["controls"] for g in catalog.groups}
    assert sizes == {"ac": 25, "at": 6, "au": 16, "ca": 9, "cm": 14, "cp": 13, "ia": 12, "ir": 10, "ma": 7,
                     "mp": 8, "pe": 23, "pl": 11, "pm": 32, "ps": 9, "pt": 8, "ra": 10, "sa": 23, "sc": 51,
                     "si": 23, "sr": 12}


def test_load_catalog_enhancement_classes_and_parents(catalog: oscal.Catalog) -> None:
    ids = catalog.by_id()
    assert {c["class"] for c in catalog.controls if c["kind"] == "enhancement"} == {"SP800-53-enhancement"}
    assert {c["class"] for c in catalog.controls if c["kind"] == "control"} == {"SP800-53"}
    assert ids["cp-2.8"]["parent_id"] == "cp-2" and ids["cp-2.8"]["label"] == "CP-2(8)"
    assert all(ids[c["parent_id"]]["kind"] == "control" for c in catalog.controls if c["parent_id"])


def test_load_catalog_withdrawn_points_to_successor(catalog: oscal.Catalog) -> None:
    row = catalog.by_id()["ac-2.10"]
    assert row["withdrawn"] and row["statement"] is None
    assert row["incorporated_into"] == ["ac-2_smt.k"]


def test_load_catalog_statement_flattened_with_parameters(catalog: oscal.Catalog) -> None:
    text = catalog.by_id()["ac-2"]["statement"]
    assert text.splitlines()[0] == ("a. Define and document the types of accounts allowed and specifically "
                                    "prohibited for use within the system;")
    assert "c. Require [Assignment: organization-defined prerequisites and criteria] for group" in text
    assert "\n  1. Authorized users of the system;" in text
    assert "{{" not in text
    ac1 = catalog.by_id()["ac-1"]["statement"]
    assert "[Selection (one or more): Organization-level; Mission/business process-level; System-level]" in ac1


def test_load_catalog_params(catalog: oscal.Catalog) -> None:
    assert len(catalog.params) == 1258
    sel = next(p for p in catalog.params if p["param_id"] == "ac-1_prm_2")
    assert sel["how_many"] == "one-or-more" and len(sel["choices"]) == 3
    assert to_arrow(catalog.params, oscal.PARAM_SCHEMA).num_rows == 1258
    assert to_arrow(catalog.controls, oscal.CONTROL_SCHEMA).num_rows == 1189


def _nist_resolved(path: Path) -> oscal.Catalog:
    return oscal.load_catalog(path)


@pytest.mark.parametrize(("level", "selected", "controls", "enhancements"),
                         [("LOW", 149, 131, 18), ("MODERATE", 287, 177, 110), ("HIGH", 370, 188, 182)])
def test_resolve_profile_matches_nist_resolved_catalog(oscal_dir: Path, level: str, selected: int, controls: int,
                                                       enhancements: int) -> None:
    # The 5.0.1 profiles import NIST_SP-800-53_rev5_catalog.xml: the .json sibling is used.
    resolution = oscal.resolve_profile(oscal_dir / f"NIST_SP-800-53_rev5_{level}-baseline_profile.json")
    nist = _nist_resolved(oscal_dir / f"NIST_SP-800-53_rev5_{level}-baseline-resolved-profile_catalog.json")
    assert resolution.selected == [c["control_id"] for c in nist.controls]  # same ids, same order
    assert resolution.summary() == {"selected": selected, "selected_controls": controls,
                                    "selected_enhancements": enhancements, "selected_groups": 18,
                                    "selected_withdrawn": 0}
    assert nist.summary()["groups"] == 18
    assert resolution.missing == []


@pytest.mark.parametrize("level", ["MODERATE", "HIGH"])
def test_resolve_profile_back_matter_import_matches_nist_511(oscal_dir: Path, catalog: oscal.Catalog,
                                                             level: str) -> None:
    # 5.1.1 profiles import "#uuid"; its rlinks name NIST_SP-800-53_rev5_catalog.{xml,json,yaml}.
    resolution = oscal.resolve_profile(oscal_dir / "rev5.1.1" / f"NIST_SP-800-53_rev5_{level}-baseline_profile.json",
                                       catalog)
    nist = _nist_resolved(oscal_dir / "rev5.1.1" /
                          f"NIST_SP-800-53_rev5_{level}-baseline-resolved-profile_catalog-min.json")
    assert set(resolution.selected) == {c["control_id"] for c in nist.controls}
    assert resolution.missing == []


def test_resolve_profile_privacy_baseline(oscal_dir: Path) -> None:
    resolution = oscal.resolve_profile(oscal_dir / "NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json")
    assert resolution.summary()["selected"] == 96


def test_resolve_profile_back_matter_without_catalog_unresolvable(oscal_dir: Path) -> None:
    with pytest.raises(OscalImportError, match="cannot resolve import #84cbf061"):
        oscal.resolve_profile(oscal_dir / "rev5.1.1" / "NIST_SP-800-53_rev5_LOW-baseline_profile.json")


def _profile(tmp_path: Path, name: str, imports: list[dict], back_matter: dict | None = None) -> Path:
    body: dict = {"uuid": "u-" + name, "metadata": {"title": name}, "imports": imports}
    if back_matter:
        body["back-matter"] = back_matter
    path = tmp_path / name
    path.write_text(json.dumps({"profile": body}))
    return path


@pytest.fixture
def local_catalog(tmp_path: Path, oscal_dir: Path) -> str:
    (tmp_path / "cat.json").write_bytes((oscal_dir / CATALOG).read_bytes())
    return "cat.json"


def test_resolve_profile_include_all_minus_excludes(tmp_path: Path, local_catalog: str) -> None:
    path = _profile(tmp_path, "p.json", [{"href": local_catalog, "include-all": {},
                                          "exclude-controls": [{"with-ids": ["ac-2"], "with-child-controls": "yes"},
                                                               {"matching": [{"pattern": "pm-*"}]}]}])
    got = oscal.resolve_profile(path).selected
    assert "ac-1" in got and "ac-2" not in got and "ac-2.1" not in got
    assert not [i for i in got if i.startswith("pm-")]
    assert len(got) == 1189 - 1 - 13 - 37  # ac-2 and its 13 enhancements; pm: 32 controls + 5 enhancements


def test_resolve_profile_back_matter_rlink_to_file(tmp_path: Path, local_catalog: str) -> None:
    path = _profile(tmp_path, "p.json", [{"href": "#res-1", "include-controls": [{"with-ids": ["ac-2", "zz-9"]}]}],
                    {"resources": [{"uuid": "res-1", "rlinks": [{"href": "cat.xml", "media-type": "text/xml"},
                                                                 {"href": local_catalog}]}]})
    resolution = oscal.resolve_profile(path)
    assert resolution.selected == ["ac-2"]
    assert resolution.missing == ["zz-9"]


def test_resolve_profile_imports_profile_chain(tmp_path: Path, local_catalog: str) -> None:
    base = _profile(tmp_path, "base.json", [{"href": local_catalog, "include-controls": [{"with-ids": ["ac-1", "ac-2"]}]}])
    top = _profile(tmp_path, "top.json", [{"href": base.name, "include-all": {}}])
    assert oscal.resolve_profile(top).selected == ["ac-1", "ac-2"]


def test_resolve_profile_cycle_raises(tmp_path: Path) -> None:
    a = _profile(tmp_path, "a.json", [{"href": "b.json", "include-all": {}}])
    _profile(tmp_path, "b.json", [{"href": "a.json", "include-all": {}}])
    with pytest.raises(OscalImportError, match="cycle"):
        oscal.resolve_profile(a)


@pytest.mark.parametrize(
    ("imports", "error", "words"),
    [
        ([], OscalShapeError, "no `imports`"),
        ([{"include-all": {}}], OscalShapeError, "no href"),
        ([{"href": "cat.json"}], OscalShapeError, "neither include-all"),
        ([{"href": "missing.json", "include-all": {}}], OscalImportError, "cannot resolve"),
        ([{"href": "#nope", "include-all": {}}], OscalImportError, "no back-matter resource"),
    ],
)
def test_resolve_profile_bad_imports_raise_typed_error(tmp_path: Path, local_catalog: str, imports: list,
                                                       error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        oscal.resolve_profile(_profile(tmp_path, "p.json", imports))


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"{not json", OscalParseError), (b'{"profile": {}}', OscalShapeError), (b"[]", OscalShapeError),
     (b'{"catalog": {"groups": {}}}', OscalShapeError), (b'{"catalog": {"groups": [{"title": "x"}]}}', OscalShapeError),
     (b'{"catalog": {"groups": [{"id": "ac", "controls": [{"title": "no id"}]}]}}', OscalShapeError)],
)
def test_load_catalog_broken_input_raises_typed_error(tmp_path: Path, content: bytes, error: type) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(error):
        oscal.load_catalog(path)
