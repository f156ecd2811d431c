"""HIPAA safeguards: Security Rule element → SP 800-53 control → check → status, and coverage per site."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, by_site, load, select

SECTIONS = {"164.308": "Administrative", "164.310": "Physical", "164.312": "Technical",
            "164.314": "Organizational", "164.316": "Documentation"}
DEFAULT_SECTIONS = ("164.308", "164.310", "164.312", "164.316")
# An element is as bad as its worst evidence (the read API ranks statuses the same way).
WORST_FIRST = ("fail", "error", "pass", "not_applicable", "no_data", "no_checks")
COVERED = ("fail", "error", "pass", "not_applicable")


def _rank(column: str = "status") -> pl.Expr:
    return pl.col(column).replace_strict({s: i for i, s in enumerate(WORST_FIRST)}, default=len(WORST_FIRST),
                                         return_dtype=pl.Int8)


def tree(filters: Filters, sections: list[str] | None = None) -> pl.DataFrame | None:
    """Site × element × control × check with the latest status and the check's results in the period."""
    frame = load("control_coverage")
    if frame is None:
        return None
    frame = by_site(frame, filters).with_columns(pl.col("hipaa_element").str.slice(0, 7).alias("section"))
    if sections:
        frame = frame.filter(pl.col("section").is_in(sections))
    period = select("compliance_rates", filters)
    if period is None:
        period_cols = [pl.lit(None, pl.Int64).alias("period_passed"), pl.lit(None, pl.Int64).alias("period_failed")]
        frame = frame.with_columns(period_cols)
    else:
        sums = (period.group_by("site_id", "check_type")
                .agg(pl.col("passed").sum().alias("period_passed"), pl.col("failed").sum().alias("period_failed")))
        frame = frame.join(sums, on=["site_id", "check_type"], how="left")
    decisive = pl.col("period_passed") + pl.col("period_failed")
    frame = frame.with_columns(pl.when(decisive > 0).then(pl.col("period_passed") / decisive)
                               .otherwise(None).alias("period_rate"))
    return (frame.select("site_id", "section", "hipaa_element", "element_title", "control_id", "control_label",
                         "control_title", "check_type", "via", "status", "devices", "passed", "failed",
                         "period_passed", "period_failed", "period_rate")
            .sort(["site_id", "hipaa_element", "control_id", "check_type"], nulls_last=True))


def elements(rows: pl.DataFrame) -> pl.DataFrame:
    """Site × element: its worst status, and the controls and checks behind it."""
    return (rows.with_columns(_rank().alias("_rank"))
            .group_by("site_id", "section", "hipaa_element", "element_title")
            .agg(pl.col("status").sort_by("_rank").first(),
                 pl.col("control_label").drop_nulls().unique().sort().alias("controls"),
                 pl.col("check_type").drop_nulls().unique().sort().alias("checks"))
            .sort("site_id", "hipaa_element"))


def coverage(element_rows: pl.DataFrame) -> pl.DataFrame:
    """Per site: elements, how many have evidence (covered), pass, fail; coverage = covered / elements."""
    status = pl.col("status")
    return (element_rows.group_by("site_id")
            .agg(pl.len().alias("elements"), status.is_in(COVERED).sum().alias("covered"),
                 (status == "pass").sum().alias("passing"), status.is_in(["fail", "error"]).sum().alias("failing"))
            .with_columns((pl.col("covered") / pl.col("elements")).alias("coverage"))
            .sort("site_id"))


def status_counts(element_rows: pl.DataFrame) -> pl.DataFrame:
    """Site × section × status: how many elements are in each state (for the chart)."""
    return (element_rows.group_by("site_id", "section", "status").agg(pl.len().alias("elements"))
            .sort("site_id", "section", "status"))
