"""Flywheel: candidates, shadow and canary rules, promotions and demotions with their evidence, and L2's
stated confidence against real outcomes."""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import streamlit as st

from analytics_app import ui
from analytics_app.queries import flywheel as q

with ui.page("Flywheel") as f:
    st.caption("Rules are fleet-wide (a canary runs on its listed sites): the site filter applies to canaries and "
               "to the confidence chart; the period to candidate evaluations and the audit trail.")
    cands, rules, trail, calib = q.candidates(f), q.rules(f), q.audit(f), q.calibration(f)
    if all(x is None for x in (cands, rules, trail, calib)):
        ui.require(None, "flywheel_candidates", "flywheel data")

    if rules is not None:
        stages = q.stage_counts(rules)
        cols = st.columns(5)
        for col, stage in zip(cols, ("shadow", "canary", "active", "demoted"), strict=False):
            col.metric(f"{stage.capitalize()} rules", stages[stage])
        cols[4].metric("Candidates passing the gate",
                       cands.filter(pl.col("verdict") == "promote").height if cands is not None else "—")

    st.subheader("Rules by stage")
    if rules is None:
        ui.missing("flywheel_rules", "promoted rules")
    else:
        ui.table(rules, "flywheel_rules")

    st.subheader("Why each rule exists")
    if trail is None:
        ui.missing("flywheel_audit", "audit trail")
    else:
        ids = sorted(set(trail["rule_id"].drop_nulls().to_list()) | set(rules["rule_id"] if rules is not None else []))
        picked = st.selectbox("Rule", ["(all rules)", *ids], key="flywheel_rule")
        shown = q.audit(f, None if picked == "(all rules)" else picked)
        ui.table(shown, "flywheel_audit", empty="No audit records for this rule in the period.")
        if picked != "(all rules)" and shown.height:
            with st.expander("Evidence of each step", expanded=False):
                for row in shown.to_dicts():
                    st.markdown(f"**{row['created_at']:%Y-%m-%d %H:%M}** {row['action']}: "
                                f"{row['from_status'] or 'new'} → {row['to_status']} — {row['reason']}")
                    try:
                        st.json(json.loads(row["evidence"] or "{}"), expanded=False)
                    except ValueError:
                        st.code(row["evidence"])

    st.subheader("Candidates")
    if cands is None:
        ui.missing("flywheel_candidates", "candidates")
    else:
        ui.table(cands, "flywheel_candidates", empty="No candidates evaluated in the period.",
                 column_config={"wilson_lower": st.column_config.NumberColumn("Wilson lower", format="%.3f")})

    st.subheader("L2 confidence against real outcomes")
    if calib is None:
        ui.missing("l2_confidence", "L2 calibration data")
    else:
        points = alt.Chart(calib).mark_line(point=True).encode(
            x=alt.X("mean_confidence:Q", title="Stated confidence", scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format="%")),
            y=alt.Y("success_rate:Q", title="Healed", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            tooltip=["confidence_bucket", "decisions", "healed", "with_outcome",
                     alt.Tooltip("success_rate:Q", format=".1%")])
        ideal = alt.Chart(pl.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(strokeDash=[4, 4],
                                                                                      color="gray").encode(x="x", y="y")
        ui.chart(ideal + points, "flywheel_calibration_chart")
        ui.table(calib, "flywheel_calibration",
                 column_config={"success_rate": st.column_config.NumberColumn("success rate", format="percent")})
