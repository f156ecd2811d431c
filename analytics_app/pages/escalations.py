"""Escalations: the L3 queue, and what was sent where (every delivery attempt and its answer)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from analytics_app import ui
from analytics_app.queries import escalations as q

with ui.page("Escalations") as f:
    st.caption(f"Escalations requested {ui.period_text(f)}. With no channel configured they wait as `queued`.")
    rows = ui.require(q.escalations(f), "escalations", "escalations")
    waiting = q.queue(rows)
    counts = q.status_counts(rows)
    sent = q.attempts(rows)

    cols = st.columns(4)
    cols[0].metric("In the queue", waiting.height, help="Not resolved: open, queued, notified, failed, acknowledged.")
    cols[1].metric("Queued (no channel)", counts.get("queued", 0))
    cols[2].metric("Delivery failed", counts.get("failed", 0))
    cols[3].metric("Resolved", counts.get("resolved", 0))

    st.subheader("Queue")
    ui.table(ui.named(waiting), "escalations_queue", empty="Nothing waiting on a human.")

    st.subheader("What was sent where")
    if sent is None:
        ui.missing("escalation_attempts", "delivery attempts")
    else:
        channels = q.by_channel(sent)
        if channels.height:
            long = channels.unpivot(index="channel", on=["delivered", "failed"], variable_name="result",
                                    value_name="count")
            ui.chart(alt.Chart(long).mark_bar().encode(
                y=alt.Y("channel:N", title=None), x=alt.X("count:Q", title="Attempts"),
                color=alt.Color("result:N", scale=alt.Scale(domain=["delivered", "failed"],
                                                            range=["#2e7d32", "#c62828"])),
                tooltip=["channel", "result", "count"]), "escalations_channel_chart")
        ui.table(ui.named(sent), "escalations_attempts", empty="No delivery attempts in the period.")

    st.subheader("All escalations in the period")
    ui.table(ui.named(rows), "escalations_all")
