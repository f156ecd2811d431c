"""The flywheel's one code path, shared by the Dagster assets and `osiris flywheel simulate`.

`flywheel.decisions` / `flywheel.outcomes` in a DuckDB connection (from staging or from a history
file, see `mining`) -> `mine` (SQL) -> `synthesize_for` (a tree per runbook) -> `judge` (the gate
and the backtest). Nothing here knows which of the two callers it serves.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import duckdb
import polars as pl

from contracts.rules import Rule, load_rules
from pipelines.flywheel import mining
from pipelines.flywheel.gate import Evaluation, GateConfig, judge
from pipelines.flywheel.synthesis import Pattern, Synthesized, pattern_records, synthesize_for


def builtin_rules() -> list[Rule]:
    """The appliance's builtin L1 rules, read as a data file (the `agent` code is never imported)."""
    text = (resources.files("agent") / "runbooks" / "builtin_rules.yaml").read_text(encoding="utf-8")
    return list(load_rules(text))


def synthesize(con: duckdb.DuckDBPyConnection, config: GateConfig) -> tuple[pl.DataFrame, list[Pattern],
                                                                             dict[str, Synthesized]]:
    """Mine candidates and synthesize their conditions: (candidates, patterns, rule per candidate key)."""
    candidates = mining.mine(con)
    patterns = pattern_records(mining.patterns(con))
    return candidates, patterns, synthesize_for(candidates, patterns, **config.synthesis())


def evaluate(con: duckdb.DuckDBPyConnection, existing: list[Rule], config: GateConfig | None = None,
             overrides: dict[str, dict[str, Any]] | None = None, live: dict[str, str] | None = None) -> Evaluation:
    """Mining, synthesis, the gate and the backtest over the inputs loaded in `con`."""
    config = config or GateConfig()
    candidates, patterns, synthesized = synthesize(con, config)
    return judge(candidates, synthesized, patterns, existing, config, overrides, live)


def simulate(history: pl.DataFrame, config: GateConfig | None = None,
             existing: list[Rule] | None = None) -> Evaluation:
    """The dry run: a history frame (`mining.read_history`) through the whole gate, in memory."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        mining.load_history(con, history)
        return evaluate(con, builtin_rules() if existing is None else existing, config)
    finally:
        con.close()
