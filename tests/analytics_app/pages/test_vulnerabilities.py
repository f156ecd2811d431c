"""Vulnerabilities on the fixture marts: counts, exposed first, severity and exposure filters."""

from __future__ import annotations

from datetime import date

import polars as pl

from tests.analytics_app.apptest import charts, metric, table
from tests.analytics_app.fixtures import SITE_B

PAGE = "pages/vulnerabilities.py"


def test_vulnerabilities_fixture_marts_counts_and_orders(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert metric(at, "CVEs") == "3"
    assert metric(at, "Affected devices") == "3"
    assert metric(at, "Exposed") == "2"
    assert metric(at, "Critical") == "2"
    assert metric(at, "Known exploited (KEV)") == "1"
    rows = table(at, "vuln_exposure")
    assert list(zip(rows["host"], rows["cve_id"], strict=True)) == [
        ("ws-01", "CVE-2019-0708"), ("srv-01", "CVE-2016-6210"), ("ws-10", "CVE-2019-0708"),
        ("ws-01", "CVE-2017-0144")]
    assert rows["cvss_score"].iloc[0] == 9.8
    chart = charts(at)[0]["_data"]
    assert chart.filter((pl.col("site") == "Clinic A") & (pl.col("severity") == "high"))["rows"].item() == 2


def test_vulnerabilities_severity_filter_keeps_critical(marts, open_page):
    at = open_page(PAGE)
    at.multiselect(key="vuln_severity").set_value(["critical"]).run()
    assert metric(at, "CVEs") == "1"
    assert len(table(at, "vuln_exposure")) == 2


def test_vulnerabilities_exposed_only_and_site(marts, open_page):
    at = open_page(PAGE, sites=[SITE_B])
    assert metric(at, "CVEs") == "1"
    at.toggle(key="vuln_exposed_only").set_value(True).run()
    assert metric(at, "CVEs") == "0"
    assert len(table(at, "vuln_exposure")) == 0


def test_vulnerabilities_old_inventory_still_counts(marts, open_page):
    # Software last reported on Nov 2 is still installed on Nov 5-10: inventory is reported on change.
    at = open_page(PAGE, period=(date(2026, 11, 5), date(2026, 11, 10)))
    assert metric(at, "CVEs") == "3"


def test_vulnerabilities_period_before_publication_hides_cves(marts, open_page):
    at = open_page(PAGE, period=(date(2015, 1, 1), date(2015, 12, 31)))
    assert metric(at, "CVEs") == "0"
