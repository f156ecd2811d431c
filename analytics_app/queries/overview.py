"""Overview: compliance per site over time, open incidents, the L1 / L2 / L3 shift, L2 spend."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, select

TIERS = ("L1", "L2", "L3")


def _rate(passed: str = "passed", failed: str = "failed") -> pl.Expr:
    # Pass over pass + fail, as the mart defines it: not-applicable and errors say nothing either way.
    total = pl.col(passed) + pl.col(failed)
    return pl.when(total > 0).then(pl.col(passed) / total).otherwise(None).alias("compliance_rate")


def compliance_daily(filters: Filters, grain: str = "day") -> pl.DataFrame | None:
    """Site × day (or × week, Mondays): passed, failed and the compliance rate over every check type."""
    frame = select("compliance_rates", filters)
    if frame is None:
        return None
    if grain == "week":
        frame = frame.with_columns(pl.col("day").dt.truncate("1w"))
    return (frame.group_by("site_id", "day").agg(pl.col("passed", "failed").sum())
            .with_columns(_rate()).sort("site_id", "day"))


def default_grain(filters: Filters) -> str:
    """Weeks over long periods (daily results swing with the day's check mix), days over a month or less."""
    if filters.start is None or filters.end is None:
        return "week"
    return "week" if (filters.end - filters.start).days > 31 else "day"


def compliance_by_site(filters: Filters) -> pl.DataFrame | None:
    """Per site over the period: checks, passed, failed and the compliance rate."""
    frame = select("compliance_rates", filters)
    if frame is None:
        return None
    return (frame.group_by("site_id")
            .agg(pl.col("checks", "passed", "failed", "not_applicable", "errors").sum(),
                 pl.col("day").min().alias("first_day"), pl.col("day").max().alias("last_day"))
            .with_columns(_rate()).sort("site_id"))


def fleet_rate(by_site: pl.DataFrame) -> float | None:
    """The compliance rate of all the given sites' checks together (None when nothing passed or failed)."""
    passed, failed = int(by_site["passed"].sum()), int(by_site["failed"].sum())
    return passed / (passed + failed) if passed + failed else None


def tier_weekly(filters: Filters) -> pl.DataFrame | None:
    """Week × tier over the selected sites: incidents and the tier's share of that week."""
    frame = select("tier_distribution", filters)
    if frame is None:
        return None
    weekly = frame.group_by("week", "tier").agg(pl.col("incidents").sum(), pl.col("healed").sum())
    return (weekly.with_columns((pl.col("incidents") / pl.col("incidents").sum().over("week")).alias("share"))
            .sort("week", "tier"))


def l1_shift(weekly: pl.DataFrame) -> tuple[float, float] | None:
    """The L1 share in the first and in the last week shown (None with no weeks)."""
    if weekly.height == 0:
        return None
    weeks = weekly["week"].unique().sort()
    l1 = weekly.filter(pl.col("tier") == "L1")

    def share(week) -> float:
        row = l1.filter(pl.col("week") == week)
        return float(row["share"][0]) if row.height else 0.0

    return share(weeks[0]), share(weeks[-1])


def l2_spend_daily(filters: Filters) -> pl.DataFrame | None:
    """Site × day: L2 decisions and what they cost in USD."""
    frame = select("l2_costs", filters)
    if frame is None:
        return None
    return (frame.group_by("site_id", "day").agg(pl.col("decisions").sum(), pl.col("cost_usd").sum())
            .sort("day", "site_id"))


def open_incidents(filters: Filters) -> pl.DataFrame | None:
    """Incidents open now that were opened on or before the period's end, oldest first."""
    frame = select("incidents", Filters(filters.sites, None, filters.end))
    if frame is None:
        return None
    return (frame.filter(pl.col("status") == "open")
            .select("site_id", "incident_id", "host", "check_type", "severity", "observed_at")
            .sort("observed_at"))
