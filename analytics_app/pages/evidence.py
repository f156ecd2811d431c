"""Evidence: chain status per site, stamps pending / confirmed with block heights, and the same offline
verification as `osiris evidence verify`."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics_app import ui, verify
from analytics_app.queries import evidence as q

with ui.page("Evidence") as f:
    chains, stamps = q.chains(f), q.stamps(f)

    if chains is None and stamps is None:
        st.info("No evidence data yet: the `evidence_chain` and `evidence_batches` marts have not been published. "
                f"{ui.BUILD_HINT} An export package can still be verified below.")
    else:
        counts = q.stamp_counts(stamps) if stamps is not None else {}
        cols = st.columns(5)
        cols[0].metric("Bundles chained", int(chains["bundles"].sum()) if chains is not None else "—")
        cols[1].metric("Broken chains", int(chains["chain_ok"].eq(False).sum()) if chains is not None else "—")
        cols[2].metric("Stamps confirmed", counts.get("confirmed", 0) if stamps is not None else "—")
        cols[3].metric("Stamps pending", counts.get("pending", 0) if stamps is not None else "—",
                       help="Stamped by a calendar, waiting for the Bitcoin attestation (an upgrade).")
        cols[4].metric("Batches not stamped", counts.get("unstamped", 0) if stamps is not None else "—",
                       help="Batched but no calendar has stamped them yet (none configured, or none answered).")

        st.subheader("Chain per site")
        if chains is None:
            ui.missing("evidence_chain", "chain status")
        else:
            ui.table(ui.named(chains.with_columns(
                pl.when(pl.col("chain_ok").is_null()).then(pl.lit("not checked yet"))
                .when(pl.col("chain_ok")).then(pl.lit("intact")).otherwise(pl.lit("BROKEN")).alias("chain"))),
                "evidence_chains")

        st.subheader("OpenTimestamps stamps")
        if stamps is None:
            ui.missing("evidence_batches", "stamp data")
        else:
            shown = ui.named(stamps)
            if shown.height:
                ui.chart(alt.Chart(shown).mark_bar().encode(
                    y=alt.Y("site:N", title=None), x=alt.X("count():Q", title="Batches"),
                    color=alt.Color("status:N", scale=alt.Scale(
                        domain=["confirmed", "pending", "unstamped", "failed"],
                        range=["#2e7d32", "#f9a825", "#90a4ae", "#c62828"])),
                    tooltip=["site", "status", "count()"]), "evidence_batches_chart")
            ui.table(shown, "evidence_batches", empty="No batches made in the period.")

    st.subheader("Verify offline")
    st.caption("Runs the checks of `osiris evidence verify`: an export package directory (signatures, chain, "
               "Merkle paths, stamps) or a stamped file with its `.ots`, against block headers you trust.")
    target = st.text_input("Export package directory, or stamped file", key="evidence_target")
    left, right = st.columns(2)
    ots = left.text_input("Proof (.ots) for a file (default: FILE.ots)", key="evidence_ots")
    headers = right.text_input("Block headers JSON", key="evidence_headers")
    bitcoind = left.text_input("or bitcoind JSON-RPC URL", key="evidence_bitcoind")
    network = right.selectbox("Network", ["mainnet", "testnet", "regtest"], key="evidence_network")
    if st.button("Verify", key="evidence_verify", type="primary"):
        verdict = verify.run(target, ots=ots, headers=headers, bitcoind=bitcoind, network=network)
        if verdict.get("verified"):
            where = f" in Bitcoin block {verdict['height']} ({verdict.get('time_iso')})" if verdict.get("height") else ""
            st.success(f"Verified{where}.")
        else:
            st.error(f"Not verified: {verdict.get('reason') or verdict.get('status')}")
        if verdict.get("bundles"):
            ui.table(pl.DataFrame(verdict["bundles"]), "evidence_verify_bundles")
        st.json(verdict, expanded=False)
