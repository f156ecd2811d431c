"""Sites and devices: the inventory, per-site roll-ups, and a per-device drill-down."""

from __future__ import annotations

import altair as alt
import streamlit as st

from analytics_app import data, ui
from analytics_app.queries import devices as q

with ui.page("Sites and devices") as f:
    st.caption(f"Devices seen since {f.start:%Y-%m-%d}" if f.start else "All devices")
    devices = ui.require(q.inventory(f), "device_compliance", "device inventory")
    sites = q.per_site(devices)

    cols = st.columns(4)
    cols[0].metric("Devices", devices.height)
    cols[1].metric("Checked", int(sites["checked"].sum()))
    cols[2].metric("Compliant", int(sites["compliant"].sum()))
    cols[3].metric("Non-compliant", int(sites["non_compliant"].sum()))

    st.subheader("Sites")
    shown = ui.named(sites)
    if shown.height:
        long = shown.unpivot(index="site", on=["compliant", "non_compliant"], variable_name="state",
                             value_name="count")
        ui.chart(alt.Chart(long).mark_bar().encode(
            y=alt.Y("site:N", title=None), x=alt.X("count:Q", title="Devices"),
            color=alt.Color("state:N", title=None, scale=alt.Scale(domain=["compliant", "non_compliant"],
                                                                   range=["#2e7d32", "#c62828"])),
            tooltip=["site", "state", "count"]), "devices_sites_chart")
    ui.table(shown, "devices_sites", column_config={
        "compliance_rate": st.column_config.NumberColumn("compliance rate", format="percent")})

    st.subheader("Inventory")
    ui.table(ui.named(devices).drop("site_id"), "devices_inventory", empty="No devices for these filters.",
             column_config={"compliance_rate": st.column_config.NumberColumn("compliance rate", format="percent")})

    st.subheader("Device drill-down")
    if devices.height == 0:
        st.caption("No device to show.")
        st.stop()
    keys = [f"{r['site_id']}|{r['host']}" for r in devices.select("site_id", "host").to_dicts()]
    names = data.site_names()


    def _label(key: str) -> str:
        site, host = key.split("|", 1)
        return f"{host} ({names.get(site, site)})"


    picked = st.selectbox("Device", keys, format_func=_label, key="device_pick")
    site_id, host = picked.split("|", 1)
    row = devices.filter((devices["site_id"] == site_id) & (devices["host"] == host)).row(0, named=True)
    st.caption(f"{host} · {row['platform'] or 'unknown platform'} · {row['ip'] or 'no IP'} · "
               f"{row['passed']} passed, {row['failed']} failed of {row['checks']} checks · "
               f"failing: {', '.join(row['failing_checks'] or []) or 'none'}")

    tabs = st.tabs(["Checks", "Incidents", "Healing history", "Open ports", "CVEs"])
    sections = [
        (q.device_checks(site_id, host), "device_checks", "per-check results", "device_checks"),
        (q.device_incidents(site_id, host, f), "incidents", "incident data", "device_incidents"),
        (q.device_healing(site_id, host, f), "healing_history", "healing history", "device_healing"),
        (q.device_ports(site_id, host), "open_ports", "open port data", "device_ports"),
        (q.device_cves(site_id, host), "cve_exposure", "CVE data", "device_cves"),
    ]
    for tab, (frame, mart, what, key) in zip(tabs, sections, strict=True):
        with tab:
            if frame is None:
                ui.missing(mart, what)
            else:
                ui.table(frame, key)
