"""The flywheel's one code path, shared by the Dagster assets and `osiris flywheel simulate`.

`flywheel.decisions` / `flywheel.outcomes` in a DuckDB connection (from staging or from a history
file, see `mining`) -> `mine` (SQL) -> `synthesize_for` (a tree per runbook) -> `judge` (the gate
and the backtest). Nothing here knows which of the two callers it serves.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl

from contracts.rules import Rule, load_rules
from pipelines.flywheel import mining
from pipelines.flywheel.gate import Evaluation, GateConfig, judge, key
from pipelines.flywheel.synthesis import Pattern, Synthesized, pattern_records, synthesize_for
from warehouse import flywheel as state


def builtin_rules() -> list[Rule]:
    """The appliance's builtin L1 rules (read as a data file; the `agent` code is never imported)."""
    return list(load_rules(state.builtin_rules()))


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


_SYNTH_COLUMNS = ("rule_id", "conditions", "leaf_positives", "leaf_negatives", "leaf_signatures")


def candidates_table(candidates: pl.DataFrame, synthesized: dict[str, Synthesized]) -> pl.DataFrame:
    """Mined candidates beside their synthesized rule: what DuckDB `flywheel.candidates` holds."""
    found = [synthesized.get(key(s, r)) for s, r in zip(candidates["pattern_signature"], candidates["runbook_id"],
                                                         strict=True)]
    return candidates.with_columns(
        pl.Series("rule_id", [s.rule_id if s else None for s in found], pl.Utf8),
        pl.Series("conditions", [json.dumps(s.conditions) if s else None for s in found], pl.Utf8),
        pl.Series("leaf_positives", [s.positives if s else None for s in found], pl.Int64),
        pl.Series("leaf_negatives", [s.negatives if s else None for s in found], pl.Int64),
        pl.Series("leaf_signatures", [json.dumps(sorted(s.signatures)) if s else None for s in found], pl.Utf8),
    )


def split_candidates_table(table: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Synthesized]]:
    """`candidates_table` read back: the mined columns, and the synthesized rule per candidate key."""
    synthesized = {}
    for row in table.filter(pl.col("rule_id").is_not_null()).iter_rows(named=True):
        synthesized[key(row["pattern_signature"], row["runbook_id"])] = Synthesized(
            row["runbook_id"], row["check_type"], json.loads(row["conditions"]), row["leaf_positives"],
            row["leaf_negatives"], frozenset(json.loads(row["leaf_signatures"])))
    return table.drop(_SYNTH_COLUMNS), synthesized
