"""HIPAA safeguards on the fixture marts: coverage per site, the element tree, the OSCAL export button."""

from __future__ import annotations

from datetime import date

from tests.analytics_app.apptest import charts, metric, table, texts
from tests.analytics_app.fixtures import SITE_A

PAGE = "pages/hipaa.py"


def test_hipaa_fixture_marts_coverage_per_site(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert metric(at, "Coverage") == "40.0%"  # (3 + 1) of 10 elements have evidence
    assert metric(at, "Elements passing") == "2"
    assert metric(at, "Elements failing") == "2"
    assert metric(at, "Elements without evidence") == "6"
    per_site = table(at, "hipaa_coverage").set_index("site")
    assert per_site.loc["Clinic A", "coverage"] == 0.6
    assert per_site.loc["Clinic B", "coverage"] == 0.2
    assert len(charts(at)) == 1


def test_hipaa_tree_walks_element_control_check_status(marts, open_page):
    at = open_page(PAGE, sites=[SITE_A])
    tree = table(at, "hipaa_tree")
    row = tree[(tree["hipaa_element"] == "164.312(a)") & (tree["control_id"] == "sc-28")].iloc[0]
    assert (row["check_type"], row["status"]) == ("disk_encryption", "fail")
    assert (row["period_passed"], row["period_failed"]) == (7, 1)
    elements = table(at, "hipaa_elements").set_index("hipaa_element")
    assert elements.loc["164.312(a)", "status"] == "fail"  # ac-11 passes, sc-28 fails: the worst wins
    assert list(elements.loc["164.312(a)", "controls"]) == ["AC-11", "SC-28"]


def test_hipaa_section_filter_keeps_technical_only(marts, open_page):
    at = open_page(PAGE)
    at.multiselect(key="hipaa_sections").set_value(["164.312"]).run()
    assert metric(at, "Coverage") == "50.0%"  # A's 164.312(a) has evidence, B's has none
    assert set(table(at, "hipaa_elements")["section"]) == {"164.312"}


def test_hipaa_period_sets_period_columns_and_export(marts, open_page):
    at = open_page(PAGE, sites=[SITE_A], period=(date(2026, 11, 3), date(2026, 11, 3)))
    tree = table(at, "hipaa_tree")
    fw = tree[tree["check_type"] == "firewall_status"].iloc[0]
    assert (fw["period_passed"], fw["period_failed"], fw["period_rate"]) == (4, 0, 1.0)
    assert ("2 observations (check types run), 1 findings (failed checks by control), 2 POA&M-ready risks (open "
            "escalations), 1 evidence bundles; OSCAL 1.2.1.") in texts(at, "caption")
    button = at.get("download_button")[-1]
    assert button.key == "oscal_download"
