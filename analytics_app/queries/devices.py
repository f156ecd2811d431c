"""Sites and devices: the inventory, per-site roll-ups, and one device's checks, incidents, heals,
open ports and CVEs."""

from __future__ import annotations

import polars as pl

from analytics_app.data import Filters, by_site, load, select


def inventory(filters: Filters) -> pl.DataFrame | None:
    """Every device of the selected sites seen (checked or scanned) on or after the period's start."""
    frame = load("device_compliance")
    if frame is None:
        return None
    frame = by_site(frame, filters)
    seen = frame.with_columns(pl.max_horizontal("last_checked_at", "last_scanned_at").alias("last_seen"))
    if filters.start is not None:
        seen = seen.filter(pl.col("last_seen").is_null() | (pl.col("last_seen").dt.date() >= filters.start))
    return seen.sort("site_id", "host")


def per_site(devices: pl.DataFrame) -> pl.DataFrame:
    """Per site: devices, checked, compliant, failing, and the rate of the devices' latest results."""
    checked = pl.col("checks") > 0
    return (devices.group_by("site_id")
            .agg(pl.len().alias("devices"), checked.sum().alias("checked"),
                 (checked & pl.col("compliant").fill_null(False)).sum().alias("compliant"),
                 (checked & ~pl.col("compliant").fill_null(True)).sum().alias("non_compliant"),
                 pl.col("passed").sum(), pl.col("failed").sum())
            .with_columns(pl.when(pl.col("passed") + pl.col("failed") > 0)
                          .then(pl.col("passed") / (pl.col("passed") + pl.col("failed")))
                          .otherwise(None).alias("compliance_rate"))
            .sort("site_id"))


def _device(name: str, site_id: str, host: str, filters: Filters | None = None) -> pl.DataFrame | None:
    frame = load(name) if filters is None else select(name, Filters((site_id,), filters.start, filters.end))
    if frame is None:
        return None
    return frame.filter((pl.col("site_id") == site_id) & (pl.col("host") == host))


def device_checks(site_id: str, host: str) -> pl.DataFrame | None:
    """The device's latest result of each check, failures first."""
    frame = _device("device_checks", site_id, host)
    if frame is None:
        return None
    order = pl.col("status").replace_strict({"fail": 0, "error": 1, "pass": 2}, default=3, return_dtype=pl.Int8)
    return frame.sort(order, "check_type").select("check_type", "status", "observed_at")


def device_incidents(site_id: str, host: str, filters: Filters) -> pl.DataFrame | None:
    """The device's incidents opened in the period, newest first."""
    frame = _device("incidents", site_id, host, filters)
    if frame is None:
        return None
    return (frame.sort("observed_at", descending=True)
            .select("incident_id", "check_type", "severity", "status", "observed_at", "tier", "outcome",
                    "resolved_at"))


def device_healing(site_id: str, host: str, filters: Filters) -> pl.DataFrame | None:
    """Every healing attempt on the device in the period, newest first."""
    frame = _device("healing_history", site_id, host, filters)
    if frame is None:
        return None
    return (frame.sort("finished_at", descending=True)
            .select("finished_at", "incident_id", "tier", "status", "runbook_id", "rule_id", "duration_ms"))


def device_ports(site_id: str, host: str) -> pl.DataFrame | None:
    """The open ports of the device's latest scan."""
    frame = _device("open_ports", site_id, host)
    if frame is None:
        return None
    return frame.sort("port", "proto").select("port", "proto", "service", "product", "scanned_at")


def device_cves(site_id: str, host: str) -> pl.DataFrame | None:
    """The CVEs of the device's installed software, exposed ones first, then by CVSS."""
    frame = _device("cve_exposure", site_id, host)
    if frame is None:
        return None
    return (frame.sort(["exposed", "cvss_score", "cve_id"], descending=[True, True, False], nulls_last=True)
            .select("cve_id", "severity", "cvss_score", "exposed", "exposed_ports", "kev", "cpe"))

