"""What the published marts say after the demo: compliance per office and the CVEs that matter most."""

from __future__ import annotations

from typing import Any


def compliance_by_site(names: dict[str, str]) -> list[dict[str, Any]]:
    """Each office's compliance rate on its latest day (passed / (passed + failed)), worst first."""
    import polars as pl

    from warehouse.duck import read_mart

    rates = read_mart("compliance_rates")
    if rates is None or rates.is_empty():
        return []
    latest = rates.filter(pl.col("day") == pl.col("day").max().over("site_id"))
    per_site = latest.group_by("site_id").agg(pl.col("passed").sum(), pl.col("failed").sum())
    rows = [
        {"site": names.get(r["site_id"], r["site_id"]),
         "compliance_rate": round(r["passed"] / (r["passed"] + r["failed"]), 4) if r["passed"] + r["failed"] else None}
        for r in per_site.iter_rows(named=True)
    ]
    return sorted(rows, key=lambda r: (r["compliance_rate"] is None, r["compliance_rate"] or 0))


def top_cves(limit: int = 5) -> list[dict[str, Any]]:
    """The exposed CVEs with the highest CVSS, then the most devices."""
    import polars as pl

    from warehouse.duck import read_mart

    exposure = read_mart("cve_exposure")
    if exposure is None or exposure.is_empty():
        return []
    top = (exposure.filter(pl.col("exposed"))
           .group_by("cve_id")
           .agg(pl.len().alias("devices"), pl.col("cvss_score").max(), pl.col("kev").any(),
                pl.col("cpe").first())
           .sort(["cvss_score", "devices", "cve_id"], descending=[True, True, False])
           .head(limit))
    return [{"cve_id": r["cve_id"], "cvss": r["cvss_score"], "devices": r["devices"], "kev": r["kev"],
             "product": ":".join(r["cpe"].split(":")[3:6])} for r in top.iter_rows(named=True)]


def evidence_state() -> dict[str, Any]:
    """The evidence chain over every office: bundles chained, verified, batched and anchored."""
    from warehouse.duck import read_mart

    status = read_mart("evidence_chain_status")
    if status is None or status.is_empty():
        return {}
    rows = status.to_dicts()
    return {
        "sites": len(rows),
        "bundles": int(sum(r["bundles"] or 0 for r in rows)),
        "chains_intact": sum(1 for r in rows if r.get("chain_ok")),
        "breaks": int(sum(r["breaks"] or 0 for r in rows)),
        "batches": int(sum(r["batches"] or 0 for r in rows)),
        "stamped": int(sum(r["stamped"] or 0 for r in rows)),
        "confirmed": int(sum(r["confirmed"] or 0 for r in rows)),
    }
