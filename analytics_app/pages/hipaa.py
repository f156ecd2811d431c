"""HIPAA safeguards: 164.308 / .310 / .312 / .316 → SP 800-53 controls → checks → status; coverage per
site; and the OSCAL Assessment Results export for one site and the period."""

from __future__ import annotations

import json

import altair as alt
import streamlit as st

from analytics_app import data, ui
from analytics_app.oscal_export import assessment_results, summary
from analytics_app.queries import hipaa as q

with ui.page("HIPAA safeguards") as f:
    sections = st.multiselect("Safeguards", list(q.SECTIONS), default=list(q.DEFAULT_SECTIONS),
                              format_func=lambda s: f"{s} {q.SECTIONS[s]}", key="hipaa_sections")
    rows = ui.require(q.tree(f, sections or None), "control_coverage", "safeguard coverage")
    elements = q.elements(rows)
    per_site = q.coverage(elements)

    total, covered = int(per_site["elements"].sum()), int(per_site["covered"].sum())
    cols = st.columns(4)
    cols[0].metric("Coverage", ui.pct(covered / total if total else None),
                   help="Security Rule elements with check evidence, over all elements (selected sites).")
    cols[1].metric("Elements passing", int(per_site["passing"].sum()))
    cols[2].metric("Elements failing", int(per_site["failing"].sum()))
    cols[3].metric("Elements without evidence", total - covered)

    st.subheader("Coverage per site")
    counts = ui.named(q.status_counts(elements))
    if counts.height:
        ui.chart(alt.Chart(counts).mark_bar().encode(
            y=alt.Y("site:N", title=None), x=alt.X("sum(elements):Q", title="Security Rule elements"),
            color=alt.Color("status:N", sort=list(q.WORST_FIRST), scale=alt.Scale(
                domain=list(q.WORST_FIRST), range=["#c62828", "#ef6c00", "#2e7d32", "#90a4ae", "#cfd8dc", "#eceff1"])),
            tooltip=["site", "section", "status", "elements"]), "hipaa_coverage_chart")
    ui.table(ui.named(per_site), "hipaa_coverage",
             column_config={"coverage": st.column_config.NumberColumn("coverage", format="percent")})

    st.subheader("Elements")
    ui.table(ui.named(elements), "hipaa_elements")

    st.subheader("Element → control → check")
    st.caption("`status` is each check's latest result on the site's devices; the period columns count the "
               "check's results in the period.")
    ui.table(ui.named(rows), "hipaa_tree",
             column_config={"period_rate": st.column_config.NumberColumn("period pass rate", format="percent")})

    st.subheader("OSCAL Assessment Results")
    names = data.site_names()
    export_sites = [s for s in names if f.sites is None or s in f.sites]
    if not export_sites or f.start is None:
        st.caption("Pick a site and a period to export.")
        st.stop()
    site = st.selectbox("Site", export_sites, format_func=lambda s: names.get(s, s), key="oscal_site")
    inputs = {"coverage": data.load("control_coverage"), "results": data.load("compliance_rates"),
              "bundles": data.load("evidence_bundles"), "escalations": data.load("escalations")}
    stamps = [t for t in (data.published_at(n) for n in ("control_coverage", "compliance_rates", "evidence_bundles",
                                                           "escalations")) if t is not None]
    if inputs["results"] is None:
        ui.missing("compliance_rates", "check results to export")
        st.stop()
    counts = summary(site, f.start, f.end, **inputs)
    st.caption(f"{counts['observations']} observations (check types run), {counts['findings']} findings (failed "
               f"checks by control), {counts['risks']} POA&M-ready risks (open escalations), {counts['evidence']} "
               "evidence bundles; OSCAL 1.2.1.")

    def _document() -> bytes:
        # Built on click: a site's evidence over a quarter is thousands of bundles.
        doc = assessment_results(site, f.start, f.end, **inputs, site_name=names.get(site),
                                 generated_at=max(stamps) if stamps else None)
        return json.dumps(doc, indent=1).encode("utf-8")

    st.download_button("Download OSCAL Assessment Results (JSON)", _document,
                       file_name=f"assessment-results-{site}-{f.start}-{f.end}.json", mime="application/json",
                       key="oscal_download", on_click="ignore")
