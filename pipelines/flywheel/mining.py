"""Candidate mining: decisions and outcomes into DuckDB, then one SQL query groups them.

Two ways in, one way on: the pipeline builds `flywheel.decisions` / `flywheel.outcomes` from
staging (`flywheel/inputs.sql`); `osiris flywheel simulate` reads a JSONL history into
`flywheel.history` and builds the same two tables (`flywheel/sim_inputs.sql`). From there both run
`flywheel/candidates.sql` (counts, Wilson bounds, savings) and `flywheel/patterns.sql` (one row
per kind of drift for synthesis and the backtest), so the figures a data engineer tunes with are
the figures the pipeline promotes with.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from contracts.incidents import CONFIDENCE_THRESHOLD, pattern_signature
from pipelines.flywheel.errors import HistoryError
from warehouse.duck import replace_table, run_sql, table_exists
from warehouse.sql_files import sql

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "decision_id": pl.Utf8(), "incident_id": pl.Utf8(), "site_id": pl.Utf8(), "runbook_id": pl.Utf8(),
    "confidence": pl.Float64(), "requires_human_review": pl.Boolean(), "pattern_signature": pl.Utf8(),
    "cost_usd": pl.Float64(), "latency_ms": pl.Float64(), "decided_at": pl.Datetime("us", "UTC"),
    "success": pl.Boolean(), "check_type": pl.Utf8(), "platform": pl.Utf8(), "severity": pl.Utf8(),
    "details": pl.Utf8(),
}  # fmt: skip
"""One row per decision of a JSONL history: the decision, its verified outcome, its incident's facts."""


def _text(value: Any, what: str, line: int, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise HistoryError(f"history line {line}: {what} must be a non-empty string, got {value!r}")
    return value


def _number(value: Any, what: str, line: int, low: float | None = None, high: float | None = None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HistoryError(f"history line {line}: {what} must be a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise HistoryError(f"history line {line}: {what} {value} is outside [{low}, {high}]")
    return float(value)


def _time(value: Any, line: int) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(f"history line {line}: decided_at {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_history_line(obj: Any, line: int) -> dict[str, Any]:
    """One history object as a `HISTORY_SCHEMA` row; a bad field raises HistoryError naming the line."""
    if not isinstance(obj, dict):
        raise HistoryError(f"history line {line}: expected a JSON object, got {type(obj).__name__}")
    incident = obj.get("incident")
    if not isinstance(incident, dict):
        raise HistoryError(f"history line {line}: incident must be an object")
    details = incident.get("details") or {}
    if not isinstance(details, dict):
        raise HistoryError(f"history line {line}: incident.details must be an object")
    if not isinstance(obj.get("success"), bool):
        raise HistoryError(f"history line {line}: success must be true or false, got {obj.get('success')!r}")
    confidence = _number(obj.get("confidence"), "confidence", line, 0.0, 1.0)
    if confidence is None:
        raise HistoryError(f"history line {line}: confidence is required")
    review = obj.get("requires_human_review")
    if review is not None and not isinstance(review, bool):
        raise HistoryError(f"history line {line}: requires_human_review must be true or false")
    decision_id = _text(obj.get("decision_id"), "decision_id", line)
    facts = {"check_type": _text(incident.get("check_type"), "incident.check_type", line),
             "platform": _text(incident.get("platform"), "incident.platform", line), "details": details}
    return {
        "decision_id": decision_id,
        "incident_id": _text(incident.get("incident_id"), "incident.incident_id", line, required=False)
        or decision_id,
        "site_id": _text(obj.get("site_id"), "site_id", line),
        "runbook_id": _text(obj.get("runbook_id"), "runbook_id", line, required=False),
        "confidence": confidence,
        "requires_human_review": review if review is not None else confidence < CONFIDENCE_THRESHOLD,
        "pattern_signature": pattern_signature(facts),
        "cost_usd": _number(obj.get("cost_usd"), "cost_usd", line, 0.0),
        "latency_ms": _number(obj.get("latency_ms"), "latency_ms", line, 0.0),
        "decided_at": _time(obj.get("decided_at") or incident.get("observed_at"), line),
        "success": obj["success"],
        "check_type": facts["check_type"],
        "platform": facts["platform"],
        "severity": str(incident.get("severity") or "medium"),
        "details": json.dumps(details, sort_keys=True),
    }


def read_history(path: str | Path) -> pl.DataFrame:
    """A JSONL decision history as a `HISTORY_SCHEMA` frame; HistoryError on any bad line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HistoryError(f"cannot read history {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise HistoryError(f"history {path} is not UTF-8: {exc.reason}") from None
    rows, seen = [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"history line {number}: invalid JSON: {exc.msg} at column {exc.colno}") from None
        row = parse_history_line(obj, number)
        if row["decision_id"] in seen:
            raise HistoryError(f"history line {number}: decision_id {row['decision_id']!r} already on line "
                               f"{seen[row['decision_id']]}")
        seen[row["decision_id"]] = number
        rows.append(row)
    if not rows:
        raise HistoryError(f"history {path} holds no decisions")
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)


def load_history(con: duckdb.DuckDBPyConnection, history: pl.DataFrame) -> None:
    """Build `flywheel.decisions` and `flywheel.outcomes` from a history frame (the simulate path)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS flywheel")
    replace_table(con, "flywheel.history", history)
    run_sql(con, "flywheel/sim_inputs")


STAGING_INPUTS = ("incidents", "l2_decisions", "healing_outcomes")


def load_staging(con: duckdb.DuckDBPyConnection) -> bool:
    """Build `flywheel.decisions` and `flywheel.outcomes` from staging (the pipeline path).

    Returns False (and builds empty inputs) when staging does not exist yet: nothing ingested.
    """
    if not all(table_exists(con, "staging", t) for t in STAGING_INPUTS):
        run_sql(con, "flywheel/empty_inputs")
        return False
    run_sql(con, "flywheel/inputs")
    return True


def mine(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per (pattern_signature, runbook_id) with its counts, Wilson bounds and savings."""
    return con.sql(sql("flywheel/candidates")).pl()


def patterns(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Past incidents per (signature, runbook, success) with a representative incident's facts."""
    return con.sql(sql("flywheel/patterns")).pl()
