"""Loading and filtering marts: file versions, aliases, optional columns, periods, names; and the
documented schema agreeing with the code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

import analytics_app
from analytics_app import data
from analytics_app.data import Filters
from analytics_app.errors import MartSchemaError
from analytics_app.schema import MARTS
from analytics_app.ui import csv_bytes
from tests.analytics_app.fixtures import ESCALATIONS, NAMES, SITE_A, SITE_B, frame, write_marts


def test_data_nothing_published_reads_none(home):
    assert data.load("compliance_rates") is None
    assert data.published() == {}
    assert data.date_bounds() is None
    assert data.site_names() == {}


def test_data_optional_columns_absent_read_as_typed_nulls(home):
    rows = frame("escalations", ESCALATIONS).select("escalation_id", "site_id", "status", "requested_at")
    (home / "marts").mkdir(parents=True)
    rows.write_parquet(home / "marts" / "escalations.parquet")
    loaded = data.load("escalations")
    assert loaded["channels"].dtype == pl.List(pl.Utf8) and loaded["channels"].null_count() == 4
    assert loaded["resolved_at"].dtype == pl.Datetime("us", "UTC")


def test_data_required_column_absent_raises_naming_it(home):
    (home / "marts").mkdir(parents=True)
    pl.DataFrame({"site_id": ["x"], "day": [date(2026, 11, 2)]}).write_parquet(home / "marts" / "compliance_rates.parquet")
    with pytest.raises(MartSchemaError) as caught:
        data.load("compliance_rates")
    assert caught.value.missing == ["check_type", "passed", "failed"]


def test_data_in_period_inclusive_on_dates_and_timestamps():
    days = pl.DataFrame({"d": [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]})
    stamps = pl.DataFrame({"t": [datetime(2026, 11, 1, 23, 59, tzinfo=UTC), datetime(2026, 11, 3, 0, 0, tzinfo=UTC),
                                 datetime(2026, 11, 4, 0, 0, tzinfo=UTC)]})
    period = Filters(None, date(2026, 11, 2), date(2026, 11, 3))
    assert data.in_period(days, period, "d")["d"].to_list() == [date(2026, 11, 2), date(2026, 11, 3)]
    assert data.in_period(stamps, period, "t").height == 1
    assert data.in_period(days, Filters(), "d").height == 3


def test_data_by_site_none_keeps_every_site(marts):
    rates = data.load("compliance_rates")
    assert data.by_site(rates, Filters()).height == rates.height
    assert set(data.by_site(rates, Filters((SITE_B,)))["site_id"]) == {SITE_B}


def test_data_bounds_and_names_from_published_marts(marts):
    assert data.date_bounds() == (date(2026, 11, 2), date(2026, 11, 10))
    assert data.site_names() == NAMES
    (marts / "sites.parquet").unlink()
    assert data.site_names() == {SITE_A: SITE_A, SITE_B: SITE_B}  # ids stand in for missing names


def test_data_select_filters_site_and_period(marts):
    rows = data.select("escalations", Filters((SITE_A,), date(2026, 11, 3), date(2026, 11, 3)))
    assert rows["escalation_id"].to_list() == ["esc-2"]


def test_data_only_parquet_files_read(home):
    write_marts(home / "marts", ["compliance_rates"])
    (home / "warehouse.duckdb").write_bytes(b"not a database: the reports must never open it")
    assert data.load("compliance_rates").height == 7


def test_csv_bytes_list_columns_joined():
    out = csv_bytes(pl.DataFrame({"host": ["ws-01"], "ports": [["22/tcp ssh", "443/tcp https"]]}))
    assert out.decode().splitlines() == ["host,ports", "ws-01,22/tcp ssh; 443/tcp https"]


def test_schema_documented_in_package_readme():
    readme = analytics_app.__doc__
    for spec in MARTS.values():
        assert f"`{spec.name}`" in readme
        for column in spec.required:
            assert f"{column}*" in readme
