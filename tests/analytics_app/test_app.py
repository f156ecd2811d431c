"""The app as a whole: every page with no warehouse, every table downloadable, broken or republished marts."""

from __future__ import annotations

import os

import polars as pl
import pytest

from analytics_app.ui import PAGES
from tests.analytics_app.apptest import metric, texts
from tests.analytics_app.fixtures import COMPLIANCE, SITE_A, _cr, frame

PAGE_PATHS = [path for path, _, _ in PAGES]


@pytest.mark.parametrize("page", PAGE_PATHS)
def test_app_empty_warehouse_every_page_says_so(home, open_page, page):
    at = open_page(page)
    assert not at.exception
    assert not at.error
    assert at.title[0].value  # the page rendered its own title
    infos = texts(at, "info")
    assert infos, "an empty state is shown"
    assert any("not been built yet" in t or "not been published" in t for t in infos)


@pytest.mark.parametrize("page", PAGE_PATHS)
def test_app_fixture_marts_every_table_has_csv(marts, open_page, page):
    at = open_page(page)
    assert not at.exception
    csv = [d for d in at.get("download_button") if d.key and d.key.endswith("_csv")]
    assert len(at.dataframe) >= 1
    assert len(csv) == len(at.dataframe)
    assert not texts(at, "info"), "every mart this page reads is in the fixture"


def test_app_mart_missing_required_column_named_not_traceback(marts, open_page):
    frame("compliance_rates", COMPLIANCE).drop("passed").write_parquet(marts / "compliance_rates.parquet")
    at = open_page("pages/overview.py")
    assert not at.exception
    [error] = texts(at, "error")
    assert "`compliance_rates` mart lacks the column(s) passed" in error


def test_app_corrupt_mart_file_named_not_traceback(marts, open_page):
    (marts / "cve_exposure.parquet").write_bytes(b"PAR1 this is not parquet")
    at = open_page("pages/vulnerabilities.py")
    assert not at.exception
    [error] = texts(at, "error")
    assert "the `cve_exposure` mart" in error and "cannot be read" in error


def test_app_republished_mart_shows_on_rerun(marts, open_page):
    at = open_page("pages/overview.py", sites=[SITE_A])
    assert metric(at, "Compliance rate") == "87.5%"
    rows = [_cr(SITE_A, 2, "firewall_status", 1, 3)]  # 1 of 4: a new publish replaces the file atomically
    tmp = marts / ".compliance_rates.parquet.tmp"
    frame("compliance_rates", rows).write_parquet(tmp)
    os.replace(tmp, marts / "compliance_rates.parquet")
    at.run()
    assert metric(at, "Compliance rate") == "25.0%"


def test_app_alias_name_is_read(marts, open_page):
    (marts / "flywheel_audit.parquet").rename(marts / "rule_audit.parquet")
    at = open_page("pages/flywheel.py")
    assert not at.exception
    assert len(pl.DataFrame(at.dataframe[1].value)) == 3  # the audit trail, from rule_audit.parquet
