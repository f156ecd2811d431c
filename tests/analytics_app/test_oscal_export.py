"""OSCAL Assessment Results export: valid against NIST's 1.2.1 schema, reproducible, and saying what
the marts say (findings from failed checks, evidence hashes, POA&M-ready risks from open escalations)."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path

import pytest

from analytics_app.errors import ExportError
from analytics_app.oscal_export import assessment_results, summary
from tests.analytics_app.fixtures import BUNDLES, ROWS, SITE_A, SITE_B, _cr, frame
from tests.analytics_app.oscal_schema import errors

NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture(scope="module")
def schema(shared_data: Path) -> Path:
    """NIST's OSCAL 1.2.1 assessment-results JSON schema (read-only reference data)."""
    return shared_data / "oscal" / "schema" / "oscal_assessment-results_schema.json"


@pytest.fixture(scope="module")
def marts() -> dict:
    """The fixture marts as frames."""
    return {name: frame(name, rows) for name, rows in ROWS.items()}


def _export(marts: dict, site: str = SITE_A, period: tuple[date, date] = NOV, **over) -> dict:
    kwargs = {"coverage": marts["control_coverage"], "results": marts["compliance_rates"],
              "bundles": marts["evidence_bundles"], "escalations": marts["escalations"], "site_name": "Clinic A"}
    return assessment_results(site, *period, **(kwargs | over))["assessment-results"]


def test_oscal_export_site_a_validates(schema, marts):
    doc = {"assessment-results": _export(marts)}
    assert errors(schema, doc) == []


@pytest.mark.parametrize("site, period, over", [
    (SITE_B, NOV, {}),
    (SITE_A, (date(2026, 11, 3), date(2026, 11, 3)), {}),
    (SITE_A, NOV, {"coverage": None, "bundles": None, "escalations": None}),
    (SITE_A, (date(2027, 1, 1), date(2027, 1, 31)), {}),  # a period with no results at all
], ids=["site-b", "one-day", "only-results", "empty-period"])
def test_oscal_export_other_inputs_validate(schema, marts, site, period, over):
    assert errors(schema, {"assessment-results": _export(marts, site, period, **over)}) == []


def test_oscal_export_validator_rejects_broken_documents(schema, marts):
    doc = {"assessment-results": _export(marts)}
    broken = copy.deepcopy(doc)
    del broken["assessment-results"]["results"][0]["observations"][0]["methods"]
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "164.312(a)"
    broken["assessment-results"]["metadata"]["last-modified"] = "2026-11-30 23:59"
    found = "\n".join(errors(schema, broken))
    assert "'methods' is a required property" in found
    assert "164.312(a)" in found  # not an NCName token: the \p{L} pattern needs the regex package
    assert "2026-11-30 23:59" in found


def test_oscal_export_same_marts_same_document(marts):
    assert json.dumps(_export(marts), sort_keys=True) == json.dumps(_export(marts), sort_keys=True)
    other = _export(marts, period=(date(2026, 11, 2), date(2026, 11, 30)))
    assert other["uuid"] != _export(marts)["uuid"]
    uuids = re.findall(r'"(?:uuid|observation-uuid|risk-uuid)": "([0-9a-f-]{36})"', json.dumps(_export(marts)))
    assert all(u[14] == "5" for u in uuids)  # uuid5: derived from the input, not random


def test_oscal_export_findings_from_failed_checks(marts):
    result = _export(marts)["results"][0]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert set(findings) == {"sc-7", "sc-28"}  # firewall_status and disk_encryption each failed once
    assert all(f["target"]["status"] == {"state": "not-satisfied", "reason": "fail"} for f in findings.values())
    props = {p["name"]: p["value"] for p in findings["sc-28"]["props"]}
    assert props == {"check-type": "disk_encryption", "hipaa-element": "164.312(a)"}
    observations = {o["uuid"]: o for o in result["observations"]}
    linked = observations[findings["sc-7"]["related-observations"][0]["observation-uuid"]]
    assert linked["title"] == "firewall_status: 7 passed, 1 failed"
    reviewed = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert {c["control-id"] for c in reviewed} == {"ac-11", "sc-28", "sc-7", "si-3"}  # mp-6 has no check


def test_oscal_export_observations_carry_evidence_hashes(marts):
    doc = _export(marts)
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    disk = next(o for o in doc["results"][0]["observations"] if o["title"].startswith("disk_encryption"))
    hashes = set()
    for item in disk["relevant-evidence"]:
        resource = resources[item["href"].removeprefix("#")]
        props = {p["name"]: p["value"] for p in resource["props"]}
        hashes.add(props["bundle-hash"])
        assert resource["rlinks"][0]["href"] == f"bundles/{int(props['bundle-id'].split('-')[1]):08d}.json"
    assert hashes == {b["bundle_hash"] for b in BUNDLES if b["check_type"] == "disk_encryption"}


def test_oscal_export_poam_risks_from_open_escalations(marts):
    result = _export(marts)["results"][0]
    risks = {next(p["value"] for p in r["props"] if p["name"] == "escalation-id"): r for r in result["risks"]}
    assert set(risks) == {"esc-1", "esc-2"}  # esc-3 is resolved; esc-4 belongs to site B
    assert risks["esc-1"]["status"] == "open"
    assert risks["esc-1"]["remediations"][0]["lifecycle"] == "planned"
    fw = next(f for f in result["findings"] if f["target"]["target-id"] == "sc-7")
    assert fw["related-risks"] == [{"risk-uuid": risks["esc-1"]["uuid"]}]  # same check: firewall_status


def test_oscal_export_unmapped_failed_check_is_own_finding(schema, marts):
    results = frame("compliance_rates", [_cr(SITE_A, 2, "usb_storage", 1, 2)])
    doc = _export(marts, results=results)
    [finding] = doc["results"][0]["findings"]
    assert finding["target"]["target-id"] == "check-usb_storage"
    assert errors(schema, {"assessment-results": doc}) == []


def test_oscal_export_period_backwards_refused(marts):
    with pytest.raises(ExportError, match="ends .* before it starts"):
        _export(marts, period=(date(2026, 11, 30), date(2026, 11, 1)))


def test_oscal_export_without_results_refused(marts):
    with pytest.raises(ExportError, match="compliance_rates"):
        _export(marts, results=None)


@pytest.mark.parametrize("period", [NOV, (date(2026, 11, 3), date(2026, 11, 3))], ids=["month", "day"])
def test_oscal_summary_counts_what_the_export_holds(marts, period):
    doc = _export(marts, period=period)
    result = doc["results"][0]
    counts = summary(SITE_A, *period, coverage=marts["control_coverage"], results=marts["compliance_rates"],
                     bundles=marts["evidence_bundles"], escalations=marts["escalations"])
    assert counts == {"observations": len(result.get("observations", [])), "findings": len(result.get("findings", [])),
                      "risks": len(result.get("risks", [])), "evidence": len(doc["back-matter"]["resources"]) - 1}
