"""Vulnerabilities: CVE exposure by site and severity, with CVSS; exposed services first."""

from __future__ import annotations

import altair as alt
import streamlit as st

from analytics_app import ui
from analytics_app.queries import vulnerabilities as q

with ui.page("Vulnerabilities") as f:
    st.caption("Exposure as the latest inventory and scan stand, for CVEs published by the period's end. A CVE is "
               "*exposed* when the latest network scan shows a port serving the vulnerable software.")
    ui.require(q.exposure(f), "cve_exposure", "CVE data")

    left, right = st.columns([3, 1])
    severities = left.multiselect("Severity", list(q.SEVERITIES), key="vuln_severity", placeholder="All severities")
    exposed_only = right.toggle("Exposed only", key="vuln_exposed_only")
    rows = q.exposure(f, severities or None, exposed_only)
    stats = q.summary(rows)

    cols = st.columns(5)
    cols[0].metric("CVEs", stats["cves"])
    cols[1].metric("Affected devices", stats["devices"])
    cols[2].metric("Exposed", stats["exposed"], help="Device-CVE pairs served on an open port.")
    cols[3].metric("Critical", stats["critical"], help="Device-CVE pairs rated critical (exposure raises a level).")
    cols[4].metric("Known exploited (KEV)", stats["kev"])

    st.subheader("By site and severity")
    grouped = ui.named(q.by_site_severity(rows))
    if grouped.height:
        ui.chart(alt.Chart(grouped).mark_bar().encode(
            y=alt.Y("site:N", title=None), x=alt.X("rows:Q", title="Device-CVE pairs"),
            color=alt.Color("severity:N", sort=list(q.SEVERITIES),
                            scale=alt.Scale(domain=list(q.SEVERITIES),
                                            range=["#b71c1c", "#ef6c00", "#f9a825", "#9e9d24", "#90a4ae", "#cfd8dc"])),
            order=alt.Order("rows:Q"), tooltip=["site", "severity", "rows", "exposed", "cves", "max_cvss"]),
            "vuln_site_chart")
    ui.table(grouped, "vuln_by_site")

    st.subheader("Exposure, exposed services first")
    ui.table(ui.named(rows).select("site", "host", "cve_id", "severity", "base_severity", "cvss_score", "exposed",
                                   "exposed_ports", "kev", "kev_due", "cpe", "description", "site_id"),
             "vuln_exposure", empty="No CVEs for these filters.",
             column_config={"cvss_score": st.column_config.NumberColumn("CVSS", format="%.1f")})
