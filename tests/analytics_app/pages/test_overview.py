"""Overview page on the fixture marts: the numbers shown are the ones worked out in fixtures.py."""

from __future__ import annotations

from datetime import date

import polars as pl

from tests.analytics_app.apptest import charts, delta, metric, table
from tests.analytics_app.fixtures import SITE_B

PAGE = "pages/overview.py"


def test_overview_fixture_marts_shows_fleet_numbers(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert metric(at, "Compliance rate") == "81.8%"
    assert metric(at, "Open incidents") == "4"
    assert metric(at, "L1 share, last week") == "78.6%"
    assert delta(at, "L1 share, last week") == "+21.4 pts since first week"
    assert metric(at, "L2 spend") == "$0.0080"
    rates = dict(zip(*table(at, "overview_compliance_by_site")[["site", "compliance_rate"]].T.values, strict=True))
    assert rates == {"Clinic A": 0.875, "Clinic B": 4 / 6}


def test_overview_charts_plot_daily_rates_and_tier_shares(marts, open_page):
    at = open_page(PAGE)
    drawn = charts(at)
    assert len(drawn) == 3
    daily = drawn[0]["_data"].filter(pl.col("site") == "Clinic B").sort("day")
    assert daily["compliance_rate"].to_list() == [0.5, 1.0, 0.5]
    tiers = drawn[1]["_data"].filter(pl.col("tier") == "L1").sort("week")
    assert [round(s, 3) for s in tiers["share"]] == [round(8 / 14, 3), round(11 / 14, 3)]


def test_overview_one_site_selected_counts_only_it(marts, open_page):
    at = open_page(PAGE, sites=[SITE_B])
    assert metric(at, "Compliance rate") == "66.7%"
    assert metric(at, "Open incidents") == "1"
    assert metric(at, "L1 share, last week") == "75.0%"
    assert delta(at, "L1 share, last week") == "+25.0 pts since first week"
    assert metric(at, "L2 spend") == "$0.0036"
    assert list(table(at, "overview_compliance_by_site")["site"]) == ["Clinic B"]


def test_overview_period_excludes_later_days(marts, open_page):
    at = open_page(PAGE, period=(date(2026, 11, 2), date(2026, 11, 3)))
    assert metric(at, "Compliance rate") == "85.0%"
    assert metric(at, "L2 spend") == "$0.0057"
    assert metric(at, "Open incidents") == "3"  # inc-5 was opened on Nov 10
    assert metric(at, "L1 share, last week") == "57.1%"
    assert list(table(at, "overview_open_incidents")["incident_id"]) == ["inc-1", "inc-2", "inc-3"]


def test_overview_weekly_trend_pools_days(marts, open_page):
    at = open_page(PAGE)
    at.radio(key="overview_grain").set_value("week").run()
    weekly = charts(at)[0]["_data"].filter(pl.col("site") == "Clinic B").sort("day")
    assert weekly["compliance_rate"].to_list() == [0.75, 0.5]  # Nov 2-3: 3 of 4; Nov 10: 1 of 2
