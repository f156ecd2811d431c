"""Fixtures of the flywheel tests: a history loaded into an in-memory DuckDB, the simulate path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.flywheel import mining
from pipelines.flywheel.synthesis import Pattern, pattern_records
from tests.pipelines.flywheel.history import History


@pytest.fixture
def load(tmp_path: Path) -> Callable[[History], tuple[duckdb.DuckDBPyConnection, list[Pattern]]]:
    """Load a History as `osiris flywheel simulate` does; returns the connection and its patterns."""
    opened = []

    def _load(history: History) -> tuple[duckdb.DuckDBPyConnection, list[Pattern]]:
        con = duckdb.connect(":memory:")
        opened.append(con)
        mining.load_history(con, mining.read_history(history.write(tmp_path / f"h{len(opened)}.jsonl")))
        return con, pattern_records(mining.patterns(con))

    yield _load
    for con in opened:
        con.close()
