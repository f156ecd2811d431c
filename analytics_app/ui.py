"""Streamlit pieces every page shares: the sidebar filters, empty states, tables with CSV, formats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import altair as alt
import polars as pl
import streamlit as st

from analytics_app import data
from analytics_app.data import Filters
from analytics_app.errors import AnalyticsError

SITES_KEY = "filter_sites"
PERIOD_KEY = "filter_period"
EARLIEST = date(2000, 1, 1)
DEFAULT_DAYS = 90  # the default period: the last 90 days of data, or all of it when there is less
# (script under analytics_app/, title, icon): the navigation `app.py` declares, in menu order.
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/sites_devices.py", "Sites and devices", ":material/devices:"),
    ("pages/vulnerabilities.py", "Vulnerabilities", ":material/bug_report:"),
    ("pages/hipaa.py", "HIPAA safeguards", ":material/health_and_safety:"),
    ("pages/flywheel.py", "Flywheel", ":material/autorenew:"),
    ("pages/evidence.py", "Evidence", ":material/verified:"),
    ("pages/escalations.py", "Escalations", ":material/notifications_active:"),
]
BUILD_HINT = "Build the warehouse with `osiris pipelines materialize` (or run `osiris demo`)."


def sidebar() -> None:
    """Draw the site and period filters every page reads (called by the entry script)."""
    names = data.site_names()
    bounds = data.date_bounds()
    with st.sidebar:
        st.multiselect("Sites", options=list(names), format_func=lambda s: names.get(s, s), key=SITES_KEY,
                       placeholder="All sites")
        if bounds is None:
            today = date.today()
            default = (today - timedelta(days=DEFAULT_DAYS - 1), today)
        else:
            default = (max(bounds[0], bounds[1] - timedelta(days=DEFAULT_DAYS - 1)), bounds[1])
        # Streamlit's default limits are ten years either side of the default; history can be older.
        st.date_input("Period (UTC days)", value=default, key=PERIOD_KEY, format="YYYY-MM-DD",
                      min_value=EARLIEST, max_value=max(default[1], date.today()) + timedelta(days=366))
        stamps = data.published()
        if stamps:
            st.caption(f"{len(stamps)} marts published, latest {max(stamps.values()):%Y-%m-%d %H:%M} UTC")
        else:
            st.caption("No marts published yet.")


def filters() -> Filters:
    """The filters the sidebar holds now (all sites and no period bounds before it is drawn)."""
    sites = tuple(st.session_state.get(SITES_KEY) or ()) or None
    period = st.session_state.get(PERIOD_KEY) or ()
    if isinstance(period, date):
        period = (period,)
    start = period[0] if len(period) > 0 else None
    end = period[1] if len(period) > 1 else start  # mid-selection the picker holds one day
    return Filters(sites, start, end)


@contextmanager
def page(title: str) -> Iterator[Filters]:
    """Title the page and hand it the filters; an AnalyticsError inside ends the page with its message.

    The guard sits in every page, not only in the entry script: a page can run without it (Streamlit's
    `pages/` folder convention, or AppTest's page switch) and must still never show a traceback.
    """
    st.title(title)
    try:
        yield filters()
    except AnalyticsError as exc:
        st.error(str(exc))


def period_text(f: Filters) -> str:
    """The period as people read it."""
    if f.start is None:
        return "all time"
    return f"{f.start:%Y-%m-%d} to {f.end:%Y-%m-%d}"


def require(frame: pl.DataFrame | None, mart: str, what: str) -> pl.DataFrame:
    """The frame, or a clear empty state and the end of the page when its mart is not published."""
    if frame is None:
        if not data.published():
            st.info(f"The warehouse has not been built yet: no marts are published in {data.directory()}. "
                    f"{BUILD_HINT}")
        else:
            st.info(f"No {what} yet: the `{mart}` mart has not been published. {BUILD_HINT}")
        st.stop()
    return frame


def missing(mart: str, what: str) -> None:
    """Say, inside one section, that its mart has not been published (the rest of the page goes on)."""
    st.info(f"No {what} yet: the `{mart}` mart has not been published.")


def named(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with a `site` name column first (when it has `site_id`)."""
    if "site_id" not in frame.columns:
        return frame
    names = data.site_names()
    site = pl.col("site_id").replace_strict(names, default=pl.col("site_id"), return_dtype=pl.Utf8)
    return frame.with_columns(site.alias("site")).select("site", pl.exclude("site"))


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV of a frame; list columns become '; '-joined text and structs JSON, so every table exports."""
    cols = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            cols.append(pl.col(name).cast(pl.List(pl.Utf8)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct | pl.Array | pl.Object):
            cols.append(pl.col(name).map_elements(str, return_dtype=pl.Utf8).alias(name))
    return (frame.with_columns(cols) if cols else frame).write_csv().encode("utf-8")


def table(frame: pl.DataFrame, key: str, *, empty: str = "No rows for these filters.",
          column_config: dict | None = None) -> None:
    """A table with a CSV download of exactly what it shows (stable keys: `<key>` and `<key>_csv`)."""
    if frame.height == 0:
        st.caption(empty)
    st.dataframe(frame, hide_index=True, key=key, column_config=column_config)
    # The CSV is written when the button is clicked, not on every rerun: big tables stay cheap to show.
    st.download_button("Download CSV", lambda: csv_bytes(frame), file_name=f"{key}.csv", mime="text/csv",
                       key=f"{key}_csv", on_click="ignore")


def chart(spec: alt.Chart, key: str) -> None:
    """An Altair chart at full width."""
    st.altair_chart(spec, width="stretch", key=key)


def pct(value: float | None, digits: int = 1) -> str:
    """0.875 -> '87.5%'; None -> '—'."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def usd(value: float | None) -> str:
    """Dollars with cents, or four decimals under a dollar (L2 calls cost fractions of a cent)."""
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4f}"
