"""Read side of the warehouse: CVEs, framework controls and site compliance from the published marts.

Only Parquet files are read (`warehouse.duck.scan_mart`), never the DuckDB warehouse, so serving
never waits on a pipeline run. Every function takes the caller's visible sites (None = all) and
filters to them before anything is counted, so a partner's answers say nothing of other sites.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from serving.errors import BadRequest, NotFound
from warehouse.duck import published_at, scan_mart

SEVERITIES = ("low", "medium", "high", "critical")
_RANK = {"unknown": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
FRAMEWORKS = {"800-53": "800-53", "nist-800-53": "800-53", "sp800-53": "800-53", "hipaa": "hipaa"}
STATUSES = ("pass", "fail", "error", "not_applicable", "no_data", "no_checks")
# An element or control is as bad as its worst evidence.
_WORST_FIRST = ("fail", "error", "pass", "not_applicable", "no_data", "no_checks")


def _visible(frame: pl.LazyFrame, sites: list[str] | None) -> pl.LazyFrame:
    return frame if sites is None else frame.filter(pl.col("site_id").is_in(sites))


def _status(devices: pl.Expr, passed: pl.Expr, failed: pl.Expr, errors: pl.Expr, has_checks: pl.Expr) -> pl.Expr:
    return (pl.when(~has_checks).then(pl.lit("no_checks"))
            .when(devices == 0).then(pl.lit("no_data"))
            .when(failed > 0).then(pl.lit("fail"))
            .when(errors > 0).then(pl.lit("error"))
            .when(passed > 0).then(pl.lit("pass"))
            .otherwise(pl.lit("not_applicable")))


def list_cves(directory: Path, sites: list[str] | None, *, site_id: str | None = None,
              severities: list[str] | None = None, exposed: bool | None = None, kev: bool | None = None,
              limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int, datetime | None]:
    """CVEs affecting the visible devices (one row each), worst first; filters apply per device."""
    scan = scan_mart("cve_exposure", directory)
    if scan is None:
        return [], 0, None
    for value in severities or []:
        if value not in SEVERITIES:
            raise BadRequest(f"severity must be one of {', '.join(SEVERITIES)}, got {value!r}")
    frame = _visible(scan, sites)
    if site_id is not None:
        frame = frame.filter(pl.col("site_id") == site_id)
    if severities:
        frame = frame.filter(pl.col("severity").is_in(severities))
    if exposed is not None:
        frame = frame.filter(pl.col("exposed") == exposed)
    if kev is not None:
        frame = frame.filter(pl.col("kev") == kev)
    device = pl.concat_str([pl.col("site_id"), pl.col("host")], separator="\x1f")
    grouped = (frame.with_columns(device.alias("_device"),
                                  pl.col("severity").replace_strict(_RANK, default=0).alias("_rank"))
               .group_by("cve_id")
               .agg(pl.col("cvss_score").max(), pl.col("cvss_version").first(), pl.col("base_severity").first(),
                    pl.col("severity").sort_by("_rank").last(), pl.col("_rank").max(), pl.col("kev").any(),
                    pl.col("kev_due").first(), pl.col("description").first(), pl.col("published").first(),
                    pl.col("last_modified").first(), pl.col("_device").n_unique().alias("devices"),
                    pl.col("_device").filter(pl.col("exposed")).n_unique().alias("exposed_devices"),
                    pl.col("site_id").n_unique().alias("sites"))
               .sort(["_rank", "cvss_score", "exposed_devices", "cve_id"], descending=[True, True, True, False],
                     nulls_last=True)
               .drop("_rank")
               .collect())
    return grouped.slice(offset, limit).to_dicts(), grouped.height, published_at("cve_exposure", directory)


def get_cve(directory: Path, sites: list[str] | None, cve_id: str) -> dict[str, Any]:
    """One CVE with every visible device it affects; NotFound when it affects none of them."""
    if not _CVE_ID.match(cve_id):
        raise BadRequest(f"not a CVE id (CVE-YYYY-NNNN): {cve_id[:40]!r}")
    scan = scan_mart("cve_exposure", directory)
    rows = (_visible(scan, sites).filter(pl.col("cve_id") == cve_id).sort(["site_id", "host", "cpe"]).collect()
            if scan is not None else pl.DataFrame())
    if rows.height == 0:
        raise NotFound("cve", cve_id)
    first = rows.row(0, named=True)
    devices = rows.select("site_id", "host", "cpe", "severity", "exposed", "exposed_ports",
                          "last_observed_at").to_dicts()
    return {
        "cve_id": cve_id,
        **{k: first[k] for k in ("cvss_score", "cvss_version", "cvss_vector", "attack_vector", "base_severity",
                                 "kev", "kev_due", "description", "published", "last_modified")},
        "severity": max(rows["severity"].to_list(), key=lambda s: _RANK.get(s, 0)),
        "devices": devices,
        "as_of": published_at("cve_exposure", directory),
    }


def framework_controls(directory: Path, sites: list[str] | None, framework: str, *, site_id: str | None = None,
                       baseline: str | None = None, status: str | None = None, include_withdrawn: bool = False,
                       limit: int = 500, offset: int = 0) -> tuple[list[dict[str, Any]], int, datetime | None]:
    """A framework's controls with their evidence over the visible sites (or one site)."""
    name = FRAMEWORKS.get(framework.lower())
    if name is None:
        raise NotFound("framework", framework)
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    controls = scan_mart("framework_controls", directory)
    if controls is None:
        return [], 0, None
    controls = controls.filter(pl.col("framework") == name)
    if not include_withdrawn:
        controls = controls.filter(~pl.col("withdrawn"))
    if baseline is not None:
        controls = controls.filter(pl.col("baselines").list.contains(baseline.upper()))
    results = scan_mart("site_check_status", directory)
    counts = ["devices", "passed", "failed", "not_applicable", "errors"]
    if results is None:
        evidence = pl.LazyFrame(schema={"control_id": pl.Utf8, **dict.fromkeys(counts, pl.Int64)})
    else:
        results = _visible(results, sites)
        if site_id is not None:
            results = results.filter(pl.col("site_id") == site_id)
        evidence = (controls.select("control_id", "check_types").explode("check_types", empty_as_null=False)
                    .join(results, left_on="check_types", right_on="check_type", how="inner")
                    .group_by("control_id").agg(pl.col(c).sum() for c in counts))
    joined = (controls.join(evidence, on="control_id", how="left")
              .with_columns(pl.col(c).fill_null(0) for c in counts)
              .with_columns(_status(pl.col("devices"), pl.col("passed"), pl.col("failed"), pl.col("errors"),
                                    pl.col("check_types").list.len() > 0).alias("status"))
              .sort("sort_id").drop("sort_id"))
    if status is not None:
        joined = joined.filter(pl.col("status") == status)
    frame = joined.collect()
    return frame.slice(offset, limit).to_dicts(), frame.height, published_at("framework_controls", directory)


def site_compliance(directory: Path, site_id: str, days: int = 30) -> dict[str, Any]:
    """One site's compliance: devices, per-check status, the daily trend, HIPAA safeguards, CVEs.

    Sections whose mart is not published yet come back empty (zero devices, no days), not as errors.
    """
    out: dict[str, Any] = {"site_id": site_id, "as_of": published_at("device_compliance", directory),
                           "devices": 0, "checked_devices": 0, "compliant_devices": 0, "compliance_rate": None,
                           "failing_devices": [], "checks": [], "daily": [], "hipaa": [],
                           "cves": {"affected_devices": 0, "cves": 0, "exposed": 0, "critical": 0, "kev": 0}}
    devices = _site_frame("device_compliance", directory, site_id)
    if devices is not None:
        checked = devices.filter(pl.col("checks") > 0)
        passed, failed = int(checked["passed"].sum()), int(checked["failed"].sum())
        out.update(devices=devices.height, checked_devices=checked.height,
                   compliant_devices=int(checked["compliant"].sum()),
                   compliance_rate=passed / (passed + failed) if passed + failed else None,
                   failing_devices=checked.filter(~pl.col("compliant"))
                   .select("host", "failing_checks", "last_checked_at").to_dicts())
    checks = _site_frame("site_check_status", directory, site_id)
    if checks is not None:
        out["checks"] = checks.drop("site_id").to_dicts()
    daily = _site_frame("compliance_rates", directory, site_id)
    if daily is not None and daily.height:
        out["daily"] = (daily.group_by("day")
                        .agg(pl.col("checks", "passed", "failed", "not_applicable", "errors").sum())
                        .with_columns((pl.col("passed") / (pl.col("passed") + pl.col("failed")))
                                      .alias("compliance_rate"))
                        .sort("day").tail(days).to_dicts())
    coverage = _site_frame("control_coverage", directory, site_id)
    if coverage is not None:
        out["hipaa"] = _safeguards(coverage)
    cves = _site_frame("cve_exposure", directory, site_id)
    if cves is not None and cves.height:
        out["cves"] = {
            "affected_devices": cves.select("host").n_unique(),
            "cves": cves["cve_id"].n_unique(),
            "exposed": cves.filter(pl.col("exposed"))["cve_id"].n_unique(),
            "critical": cves.filter(pl.col("severity") == "critical")["cve_id"].n_unique(),
            "kev": cves.filter(pl.col("kev"))["cve_id"].n_unique(),
        }
    return out


def _site_frame(name: str, directory: Path, site_id: str) -> pl.DataFrame | None:
    scan = scan_mart(name, directory)
    return scan.filter(pl.col("site_id") == site_id).collect() if scan is not None else None


def _safeguards(coverage: pl.DataFrame) -> list[dict[str, Any]]:
    """Per HIPAA element: its worst status and the checks behind it."""
    if coverage.height == 0:
        return []
    rank = {s: i for i, s in enumerate(_WORST_FIRST)}
    return (coverage.with_columns(pl.col("status").replace_strict(rank, default=len(rank)).alias("_rank"))
            .group_by("hipaa_element", "element_title", "safeguard")
            .agg(pl.col("status").sort_by("_rank").first(),
                 pl.col("check_type").drop_nulls().unique().sort().alias("check_types"),
                 pl.col("control_id").drop_nulls().unique().sort().alias("controls"))
            .sort("hipaa_element").to_dicts())
