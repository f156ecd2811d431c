"""Reading published marts for the reports: cached per file version, conformed to `schema.MARTS`.

Only Parquet files under `warehouse.duck.marts_dir()` (`$OSIRIS_HOME/marts`) are read, through
`warehouse.duck.read_mart`: never the DuckDB file, never Postgres. The cache key holds the file's
modification time and size, so a new publish (an atomic `os.replace`) shows on the next rerun.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
import streamlit as st

from analytics_app.errors import MartReadError, MartSchemaError
from analytics_app.schema import MARTS
from warehouse.duck import mart_path, marts_dir, published_marts, read_mart


@dataclass(frozen=True)
class Filters:
    """What every page filters by: the sites (None = all) and an inclusive UTC date range."""

    sites: tuple[str, ...] | None = None
    start: date | None = None
    end: date | None = None


def directory() -> Path:
    """The marts folder the reports read (`$OSIRIS_HOME/marts`)."""
    return marts_dir()


def _version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(show_spinner=False, max_entries=128)
def _read(name: str, folder: str, version: tuple[int, int]) -> pl.DataFrame:
    # `version` is only the cache key: a republished file has a new mtime (or size), so it is re-read.
    del version
    try:
        frame = read_mart(name, folder)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise MartReadError(f"the `{name}` mart at {folder} cannot be read: {str(exc).splitlines()[0]}") from exc
    return frame if frame is not None else pl.DataFrame()


def load(spec_name: str) -> pl.DataFrame | None:
    """The mart as the reports expect it, or None when it has not been published.

    Tries the spec's names in order; adds absent optional columns as typed nulls; raises
    MartSchemaError when a required column is missing.
    """
    spec = MARTS[spec_name]
    folder = directory()
    for name in spec.names:
        version = _version(mart_path(name, folder))
        if version is None:
            continue
        frame = _read(name, str(folder), version)
        missing = [c for c in spec.required if c not in frame.columns]
        if missing:
            raise MartSchemaError(name, missing)
        absent = [pl.lit(None, dtype).alias(c) for c, dtype in spec.columns.items() if c not in frame.columns]
        return frame.with_columns(absent) if absent else frame
    return None


def published() -> dict[str, datetime]:
    """Every published mart and when it was published (UTC)."""
    return published_marts(directory())


def published_at(spec_name: str) -> datetime | None:
    """When the mart the spec names was last published, or None."""
    stamps = published()
    return next((stamps[n] for n in MARTS[spec_name].names if n in stamps), None)


def by_site(frame: pl.DataFrame, filters: Filters, column: str = "site_id") -> pl.DataFrame:
    """Rows of the selected sites (all rows when no site is selected)."""
    if filters.sites is None or column not in frame.columns:
        return frame
    return frame.filter(pl.col(column).is_in(list(filters.sites)))


def _as_date(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    return pl.col(column).dt.date() if isinstance(dtype, pl.Datetime) else pl.col(column).cast(pl.Date)


def in_period(frame: pl.DataFrame, filters: Filters, column: str) -> pl.DataFrame:
    """Rows whose `column` (a date or timestamp, UTC) falls in the filters' inclusive date range."""
    day = _as_date(frame, column)
    if filters.start is not None:
        frame = frame.filter(day >= filters.start)
    if filters.end is not None:
        frame = frame.filter(_as_date(frame, column) <= filters.end)
    return frame


def select(spec_name: str, filters: Filters, *, dated: bool = True) -> pl.DataFrame | None:
    """The mart filtered by site and (when `dated` and the spec has a date column) by period."""
    frame = load(spec_name)
    if frame is None:
        return None
    frame = by_site(frame, filters)
    column = MARTS[spec_name].date_column
    return in_period(frame, filters, column) if dated and column else frame


def date_bounds() -> tuple[date, date] | None:
    """The first and last day any dated activity mart covers, or None when none is published."""
    lows, highs = [], []
    for name in ("compliance_rates", "tier_distribution", "l2_costs", "incidents"):
        try:
            frame = load(name)
        except (MartSchemaError, MartReadError):
            continue
        column = MARTS[name].date_column
        if frame is None or frame.height == 0 or column is None:
            continue
        days = frame.select(_as_date(frame, column).alias("d")).drop_nulls()["d"]
        if days.len():
            lows.append(days.min())
            highs.append(days.max())
    return (min(lows), max(highs)) if lows else None


def site_names() -> dict[str, str]:
    """Every site id any mart mentions, with its name from the `sites` mart when there is one."""
    ids: set[str] = set()
    for name in ("device_compliance", "compliance_rates", "tier_distribution", "control_coverage"):
        try:
            frame = load(name)
        except (MartSchemaError, MartReadError):
            continue
        if frame is not None and "site_id" in frame.columns:
            ids.update(frame["site_id"].drop_nulls().unique().to_list())
    try:
        sites = load("sites")
    except (MartSchemaError, MartReadError):
        sites = None
    names = dict(zip(sites["site_id"], sites["name"], strict=True)) if sites is not None else {}
    ids.update(names)
    return {i: names.get(i) or i for i in sorted(ids, key=lambda i: (names.get(i) or i, i))}
