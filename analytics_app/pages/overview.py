"""Overview: compliance per site over time, open incidents, the tier shift (L1 / L2 / L3), L2 spend."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics_app import ui
from analytics_app.queries import overview as q

with ui.page("Overview") as f:
    st.caption(f"Period: {ui.period_text(f)}")

    grains = ["day", "week"]
    grain = st.radio("Compliance trend by", grains, index=grains.index(q.default_grain(f)), horizontal=True,
                     key="overview_grain")
    daily, by_site = q.compliance_daily(f, grain), q.compliance_by_site(f)
    weekly, spend, incidents = q.tier_weekly(f), q.l2_spend_daily(f), q.open_incidents(f)
    if all(x is None for x in (daily, weekly, spend, incidents)):
        ui.require(None, "compliance_rates", "compliance data")

    cols = st.columns(4)
    cols[0].metric("Compliance rate", ui.pct(q.fleet_rate(by_site)) if by_site is not None else "—",
                   help="Checks passed over passed + failed in the period, selected sites together.")
    cols[1].metric("Open incidents", incidents.height if incidents is not None else "—")
    shift = q.l1_shift(weekly) if weekly is not None else None
    cols[2].metric("L1 share, last week", ui.pct(shift[1]) if shift else "—",
                   delta=f"{(shift[1] - shift[0]) * 100:+.1f} pts since first week" if shift else None,
                   help="Incidents finally handled by a deterministic L1 rule; the flywheel should raise it.")
    cols[3].metric("L2 spend", ui.usd(float(spend["cost_usd"].sum())) if spend is not None else "—",
                   help="What the L2 planner cost over the period.")

    st.subheader("Compliance rate per site")
    if daily is None:
        ui.missing("compliance_rates", "compliance data")
    else:
        shown = ui.named(daily)
        # Markers help on a few weeks of days; on a quarter they only cost drawing time.
        ui.chart(alt.Chart(shown).mark_line(point=shown["day"].n_unique() <= 31).encode(
            x=alt.X("day:T", title="Week" if grain == "week" else "Day"),
            y=alt.Y("compliance_rate:Q", title="Compliance rate", axis=alt.Axis(format="%"),
                    scale=alt.Scale(zero=False, domainMax=1)),  # rates sit near 100%: show the dips
            color=alt.Color("site:N", title="Site"),
            tooltip=["site", "day:T", alt.Tooltip("compliance_rate:Q", format=".1%"), "passed", "failed"]),
            "overview_compliance_chart")
        ui.table(ui.named(by_site), "overview_compliance_by_site", column_config={
            "compliance_rate": st.column_config.NumberColumn("compliance rate", format="percent")})

    st.subheader("Who handled incidents: L1 / L2 / L3 per week")
    if weekly is None:
        ui.missing("tier_distribution", "tier data")
    else:
        ui.chart(alt.Chart(weekly).mark_area().encode(
            x=alt.X("week:T", title="Week"),
            y=alt.Y("share:Q", title="Share of incidents", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color("tier:N", title="Tier", sort=list(q.TIERS)),
            tooltip=["week:T", "tier", "incidents", alt.Tooltip("share:Q", format=".1%")]),
            "overview_tier_chart")
        ui.table(weekly, "overview_tiers")

    left, right = st.columns(2)
    with left:
        st.subheader("L2 spend per day")
        if spend is None:
            ui.missing("l2_costs", "L2 cost data")
        else:
            shown = ui.named(spend)
            ui.chart(alt.Chart(shown).mark_bar().encode(
                x=alt.X("day:T", title="Day"), y=alt.Y("sum(cost_usd):Q", title="USD"),
                color=alt.Color("site:N", title="Site"), tooltip=["site", "day:T", "decisions", "cost_usd"]),
                "overview_spend_chart")
            ui.table(shown, "overview_l2_spend")
    with right:
        st.subheader("Open incidents")
        if incidents is None:
            ui.missing("incidents", "incident data")
        else:
            counts = incidents.group_by("severity").agg(pl.len().alias("incidents")).sort("incidents", descending=True)
            st.caption(", ".join(f"{r['incidents']} {r['severity']}" for r in counts.to_dicts()) or "none open")
            ui.table(ui.named(incidents), "overview_open_incidents", empty="No open incidents.")
