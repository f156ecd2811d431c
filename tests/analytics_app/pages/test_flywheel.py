"""Flywheel on the fixture marts: stages, why a rule exists, candidates, L2 calibration."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from tests.analytics_app.apptest import charts, metric, table, texts
from tests.analytics_app.fixtures import CANDIDATES, SITE_B, frame

PAGE = "pages/flywheel.py"


def test_flywheel_fixture_marts_counts_stages(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    for stage in ("Shadow", "Canary", "Active", "Demoted"):
        assert metric(at, f"{stage} rules") == "1"
    assert metric(at, "Candidates passing the gate") == "1"
    assert list(table(at, "flywheel_rules")["status"]) == ["shadow", "canary", "active", "demoted"]
    cands = table(at, "flywheel_candidates")
    assert list(cands["verdict"]) == ["promote", "live", "reject"]  # best Wilson lower bound first
    assert cands["reasons"].iloc[2] == "wilson_lower 0.757 < 0.85"


def test_flywheel_rule_audit_explains_promotion(marts, open_page):
    at = open_page(PAGE)
    at.selectbox(key="flywheel_rule").set_value("L1-AUTO-FW-01").run()
    trail = table(at, "flywheel_audit")
    assert list(zip(trail["from_status"].fillna("new"), trail["to_status"], strict=True)) == [
        ("shadow", "canary"), ("new", "shadow")]
    assert any("gate passed: n=40" in m for m in texts(at, "markdown"))
    assert [json.loads(j.value) for j in at.json][0] == {"agree": 9, "disagree": 0}


def test_flywheel_calibration_pools_sites(marts, open_page):
    at = open_page(PAGE)
    calib = table(at, "flywheel_calibration").set_index("confidence_bucket")
    assert (calib.loc[0.7, "decisions"], calib.loc[0.7, "healed"]) == (6, 4)
    assert round(calib.loc[0.7, "success_rate"], 4) == round(4 / 6, 4)
    assert len(charts(at)) == 1


def test_flywheel_site_filter_hides_other_sites_canary(marts, open_page):
    at = open_page(PAGE, sites=[SITE_B])
    assert metric(at, "Canary rules") == "0"
    calib = table(at, "flywheel_calibration")
    assert list(calib["decisions"]) == [2]


def test_flywheel_period_before_evaluations_hides_candidates(marts, open_page):
    at = open_page(PAGE, period=(date(2026, 11, 2), date(2026, 11, 5)))
    assert len(table(at, "flywheel_candidates")) == 0
    assert list(table(at, "flywheel_audit")["action"]) == ["promote"]


def test_flywheel_reasons_published_as_list_column(marts, open_page):
    rows = [{**c, "reasons": None} for c in CANDIDATES]
    lists = frame("flywheel_candidates", rows).with_columns(
        pl.Series("reasons", [json.loads(c["reasons"]) for c in CANDIDATES], dtype=pl.List(pl.Utf8)))
    lists.write_parquet(marts / "flywheel_candidates.parquet")
    at = open_page(PAGE)
    assert not at.exception
    assert table(at, "flywheel_candidates")["reasons"].iloc[2] == "wilson_lower 0.757 < 0.85"
