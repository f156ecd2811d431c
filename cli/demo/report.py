"""What the demo shows at the end: the tier shift, the rules the fleet taught itself, and next steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli.demo.run import DemoResult


def summary_json(result: DemoResult, elapsed: float) -> dict[str, Any]:
    """The `--json` summary (DESIGN.md's contract: these keys are relied on by scripts)."""
    active = [r for r in result.promoted if r.get("status") in ("shadow", "canary", "active")]
    return {
        "promoted_rules": len(active),
        "bundle_version": result.bundle_version,
        "promoted_rule_heals": result.promoted_heals,
        "promoted_rules_that_healed": result.rules_that_healed,
        "l1_share_before": DemoResult.share(result.before, "L1"),
        "l1_share_after": DemoResult.share(result.after, "L1"),
        "l2_share_before": DemoResult.share(result.before, "L2"),
        "l2_share_after": DemoResult.share(result.after, "L2"),
        "l3_share_before": DemoResult.share(result.before, "L3"),
        "l3_share_after": DemoResult.share(result.after, "L3"),
        "l2_calls_before": result.l2_calls_before,
        "l2_calls_after": result.l2_calls_after,
        "l2_spend_before_usd": round(result.l2_spend_before, 4),
        "l2_spend_after_usd": round(result.l2_spend_after, 4),
        "rules": [{"id": r.get("rule_id"), "status": r.get("status"), "runbook_id": (r.get("rule") or {}).get("runbook_id")}
                  for r in active],
        "appliance_bundle_versions": sorted(set(result.appliance_bundle_versions)),
        "sites": result.sites,
        "devices": result.devices,
        "history_events": result.history_events,
        "seconds": round(elapsed, 1),
        "phases": {p.name: p.seconds for p in result.phases},
        "compliance": result.extras.get("compliance", []),
        "top_cves": result.extras.get("top_cves", []),
        "evidence": result.extras.get("evidence", {}),
        "rounds": {k: v for k, v in result.extras.items() if k.startswith("round")},
    }


def render(console, result: DemoResult, workspace: Path, elapsed: float) -> None:
    """The human summary."""
    from rich.table import Table

    table = Table(title="Who handled the incidents", show_lines=False)
    table.add_column("tier")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for tier in ("L1", "L2", "L3"):
        table.add_row(tier, f"{DemoResult.share(result.before, tier):.1%}", f"{DemoResult.share(result.after, tier):.1%}")
    table.add_row("L2 calls", str(result.l2_calls_before), str(result.l2_calls_after))
    table.add_row("L2 spend", f"${result.l2_spend_before:.4f}", f"${result.l2_spend_after:.4f}")
    console.print(table)
    rules = Table(title="Rules the fleet taught itself")
    for col in ("rule", "stage", "runbook", "why"):
        rules.add_column(col)
    for r in result.promoted:
        rule, prov = r.get("rule") or {}, r.get("provenance") or {}
        why = (f"n={prov.get('n')}, success ≥ {prov.get('wilson_lower') or 0:.2f} (95% Wilson), "
               f"{prov.get('sites')} sites, backtest precision {prov.get('backtest_precision') or 0:.2f}")
        rules.add_row(str(r.get("rule_id")), str(r.get("status")), str(rule.get("runbook_id")), why)
    console.print(rules)
    sites = Table(title="Compliance by office (latest day)")
    sites.add_column("office")
    sites.add_column("rate", justify="right")
    for row in result.extras.get("compliance", []):
        rate = row["compliance_rate"]
        sites.add_row(row["site"], "—" if rate is None else f"{rate:.1%}")
    console.print(sites)
    cves = Table(title="Top exposed CVEs")
    for col in ("CVE", "CVSS", "devices", "product", "KEV"):
        cves.add_column(col)
    for row in result.extras.get("top_cves", []):
        cves.add_row(row["cve_id"], f"{row['cvss']:.1f}" if row["cvss"] is not None else "—", str(row["devices"]),
                     row["product"], "yes" if row["kev"] else "")
    console.print(cves)
    ev = result.extras.get("evidence") or {}
    if ev:
        stamping = (f"{ev['stamped']} of {ev['batches']} Merkle batches stamped" if ev["stamped"]
                    else f"{ev['batches']} Merkle batches ready; stamping is off until OSIRIS_OTS_CALENDARS names "
                         "a calendar")
        console.print(f"Evidence: {ev['bundles']} signed bundles chained over {ev['sites']} offices, "
                      f"{ev['chains_intact']} chains intact ({ev['breaks']} breaks); {stamping}.")
    console.print(f"Promoted rules healed {result.promoted_heals} incidents at L1 "
                  f"({result.rules_that_healed} rules) that L2 used to plan.")
    console.print(f"Bundle v{result.bundle_version} served; appliances hold "
                  f"{sorted(set(result.appliance_bundle_versions))}. Done in {elapsed:.0f} s.")
    console.print(f"Next: [bold]OSIRIS_HOME={workspace} osiris ui[/bold] for the reports, and "
                  f"[bold]DAGSTER_HOME={workspace / 'dagster'} dagster dev -w workspace.yaml[/bold] for the pipelines.")
