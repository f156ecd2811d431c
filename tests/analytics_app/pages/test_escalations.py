"""Escalations on the fixture marts: the queue and every delivery attempt."""

from __future__ import annotations

from datetime import date

import polars as pl

from tests.analytics_app.apptest import charts, metric, table
from tests.analytics_app.fixtures import SITE_A

PAGE = "pages/escalations.py"


def test_escalations_fixture_marts_queue_and_counts(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert metric(at, "In the queue") == "3"
    assert metric(at, "Queued (no channel)") == "1"
    assert metric(at, "Delivery failed") == "1"
    assert metric(at, "Resolved") == "1"
    assert list(table(at, "escalations_queue")["escalation_id"]) == ["esc-4", "esc-1", "esc-2"]  # critical first


def test_escalations_attempts_show_what_went_where(marts, open_page):
    at = open_page(PAGE)
    sent = table(at, "escalations_attempts")
    assert list(zip(sent["escalation_id"], sent["channel"], sent["ok"], strict=True)) == [
        ("esc-2", "slack", True), ("esc-2", "pagerduty", True), ("esc-4", "email", False), ("esc-4", "email", False)]
    assert sent["error"].iloc[2] == "connection refused"
    by_channel = charts(at)[0]["_data"]
    assert by_channel.filter((pl.col("channel") == "email") & (pl.col("result") == "failed"))["count"].item() == 2


def test_escalations_site_and_period_filter(marts, open_page):
    at = open_page(PAGE, sites=[SITE_A], period=(date(2026, 11, 3), date(2026, 11, 30)))
    assert metric(at, "In the queue") == "1"
    assert list(table(at, "escalations_all")["escalation_id"]) == ["esc-2"]
