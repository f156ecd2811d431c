"""`osiris flywheel simulate`: the gate's dry run over a decision history, for tuning its thresholds.

Reads JSONL decisions with their verified outcomes, loads them into an in-memory DuckDB and runs
the pipeline's own mining SQL, tree synthesis, gate and backtest (`pipelines.flywheel.transforms`):
no database, no Dagster. Prints every candidate with its figures and verdict; with `--json` the
last line is `{"candidates": [...], "promoted": [...]}`, the promoted rules in the L1 rule format
(status `active`: what they become after shadow and canary) so `osiris rules eval` takes them as
they are.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Mine L2 history for rules worth promoting.", no_args_is_help=True, add_completion=False)

EXIT_BAD_HISTORY = 1
EXIT_BAD_SETTINGS = 2


@app.callback()
def _group() -> None:
    """Mine L2 history for rules worth promoting."""


def _existing(rules: Path | None) -> list | None:
    if rules is None:
        return None  # the builtin rules, as the pipeline uses
    from contracts.errors import RuleSetError
    from contracts.rules import load_rules

    try:
        return list(load_rules(rules.read_bytes()))
    except OSError as exc:
        fail(f"cannot read rules {rules}: {exc.strerror or exc}", EXIT_BAD_SETTINGS)
    except RuleSetError as exc:
        fail(f"invalid rule set {rules}: {exc}", EXIT_BAD_SETTINGS)


def _conditions(conditions: list[dict]) -> str:
    return " and ".join(f"{c['field']} {c['operator']} {c.get('value')}" for c in conditions)


def _table(evaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Flywheel candidates")
    for name in ("signature", "runbook", "n", "healed", "Wilson lo", "sites", "precision", "verdict"):
        table.add_column(name, justify="left" if name in ("signature", "runbook", "verdict") else "right",
                         no_wrap=True)
    for c in evaluation.candidates:
        precision = (c["backtest"] or {}).get("precision")
        table.add_row(c["pattern_signature"], c["runbook_id"], str(c["n"]), str(c["successes"]),
                      f"{c['wilson_lower']:.3f}", str(c["sites"]), "-" if precision is None else f"{precision:.3f}",
                      c["verdict"])
    console.print(table)
    for c in evaluation.candidates:
        head = f"{c['pattern_signature']} {c['runbook_id']} ({c['check_type']} on {c['platform']})"
        rule = f": {c['rule_id']} if {_conditions(c['conditions'])}" if c["conditions"] else ""
        console.print(head + rule, highlight=False)
        cost, latency = c["monthly_cost_usd"], c["monthly_latency_s"]
        if cost is not None or latency is not None:
            console.print(f"  saves per month: ${cost or 0:.4f} of L2 cost, {latency or 0:.0f} s of L2 latency; "
                          f"human review share {c['human_review_share']:.0%}", highlight=False)
        for reason in c["reasons"]:
            console.print(f"  {c['verdict']}: {reason}", highlight=False)
    promoted = evaluation.promoted
    console.print(f"{len(promoted)} of {len(evaluation.candidates)} candidates would enter shadow"
                  + (": " + ", ".join(r["id"] for r in promoted) if promoted else "")
                  + ". --json prints the rules; tune with --min-n, --min-lower, --min-sites, --min-precision.",
                  highlight=False)


@app.command()
def simulate(
    history: Path = typer.Option(..., "--history", help="JSONL: one decision with its incident and outcome per line."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object (candidates and promoted rules)."),
    rules: Path | None = typer.Option(None, "--rules", help="Existing rules to backtest against (default: builtin)."),
    min_n: int = typer.Option(5, "--min-n", help="Fewest verified decisions."),
    min_lower: float = typer.Option(0.85, "--min-lower", help="Lowest Wilson lower bound (95%) of success."),
    min_sites: int = typer.Option(2, "--min-sites", help="Fewest distinct sites."),
    min_precision: float = typer.Option(0.9, "--min-precision", help="Lowest backtest precision."),
    leaf_purity: float = typer.Option(0.9, "--leaf-purity", help="Share of positives a tree leaf needs."),
    max_depth: int = typer.Option(3, "--max-depth", help="Decision tree depth (readability)."),
) -> None:
    """Run mining, synthesis, the gate and the backtest over a history file, with no database."""
    from pipelines.flywheel.errors import GateConfigError, HistoryError
    from pipelines.flywheel.gate import GateConfig
    from pipelines.flywheel.mining import read_history
    from pipelines.flywheel.transforms import simulate as run

    try:
        config = GateConfig(min_n=min_n, min_wilson_lower=min_lower, min_sites=min_sites,
                            min_precision=min_precision, leaf_purity=leaf_purity, max_depth=max_depth)
    except GateConfigError as exc:
        fail(f"invalid setting: {exc}", EXIT_BAD_SETTINGS)
    existing = _existing(rules)
    try:
        frame = read_history(history)
    except HistoryError as exc:
        fail(str(exc), EXIT_BAD_HISTORY)
    evaluation = run(frame, config, existing)
    if json_out:
        emit_json({"candidates": evaluation.candidates, "promoted": evaluation.promoted})
    else:
        _table(evaluation)
