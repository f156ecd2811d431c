"""Vulnerabilities: CVE exposure by site and severity, exposed services first."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, by_site, load

SEVERITIES = ("critical", "high", "medium", "low", "none", "unknown")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def exposure(filters: Filters, severities: list[str] | None = None, exposed_only: bool = False) -> pl.DataFrame | None:
    """Device × CVE rows of the selected sites as the latest inventory and scan stand, leaving out CVEs
    published after the period's end; exposed first, then severity, then CVSS.

    The period's start does not apply: appliances report software when it changes, so an old
    `last_observed_at` means "still installed", not "gone".
    """
    frame = load("cve_exposure")
    if frame is None:
        return None
    frame = by_site(frame, filters)
    if filters.end is not None:
        frame = frame.filter(pl.col("published").is_null() | (pl.col("published").dt.date() <= filters.end))
    if severities:
        frame = frame.filter(pl.col("severity").is_in(severities))
    if exposed_only:
        frame = frame.filter(pl.col("exposed"))
    rank = pl.col("severity").replace_strict(_RANK, default=len(_RANK), return_dtype=pl.Int8)
    return (frame.with_columns(rank.alias("_rank"))
            .sort(["exposed", "_rank", "cvss_score", "site_id", "host", "cve_id"],
                  descending=[True, False, True, False, False, False], nulls_last=True)
            .drop("_rank"))


def summary(rows: pl.DataFrame) -> dict[str, int]:
    """Distinct CVEs, device-CVE rows, exposed rows, KEV CVEs, critical rows and affected devices."""
    return {
        "cves": rows["cve_id"].n_unique(),
        "rows": rows.height,
        "exposed": int(rows["exposed"].sum()),
        "kev": rows.filter(pl.col("kev"))["cve_id"].n_unique(),
        "critical": rows.filter(pl.col("severity") == "critical").height,
        "devices": rows.select("site_id", "host").n_unique(),
    }


def by_site_severity(rows: pl.DataFrame) -> pl.DataFrame:
    """Site × severity: device-CVE rows, how many are exposed, and the highest CVSS."""
    return (rows.group_by("site_id", "severity")
            .agg(pl.len().alias("rows"), pl.col("exposed").sum().alias("exposed"),
                 pl.col("cve_id").n_unique().alias("cves"), pl.col("cvss_score").max().alias("max_cvss"))
            .with_columns(pl.col("severity").replace_strict(_RANK, default=len(_RANK), return_dtype=pl.Int8)
                          .alias("_rank"))
            .sort("site_id", "_rank").drop("_rank"))
