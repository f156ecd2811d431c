"""The DuckDB warehouse helpers: layers, cursors, atomic Parquet publishing and the read side."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.duck import (
    connect,
    get_cursor,
    publish_parquet,
    published_marts,
    read_mart,
    replace_table,
    set_cursor,
    upsert,
)
from warehouse.errors import DuckDbLockedError, MartNameError


def test_connect_new_file_creates_layers(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert {"raw", "staging", "feeds", "marts"} <= schemas


def test_cursor_unset_then_saved_round_trips(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        assert get_cursor(con, "incidents") == (0, None)
        set_cursor(con, "incidents", 41)
        set_cursor(con, "incidents", 42)
    with connect(tmp_path / "w.duckdb") as con:
        assert get_cursor(con, "incidents") == (42, None)


def test_publish_parquet_then_read_mart_returns_rows(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        replace_table(con, "marts.demo", pl.DataFrame({"site_id": ["a", "b"], "rate": [0.5, 1.0]}))
        path = publish_parquet(con, "marts.demo", directory=tmp_path / "marts")
    assert path == tmp_path / "marts" / "demo.parquet"
    frame = read_mart("demo", tmp_path / "marts")
    assert frame is not None and frame.sort("site_id")["rate"].to_list() == [0.5, 1.0]
    assert list(published_marts(tmp_path / "marts")) == ["demo"]
    assert not [p for p in (tmp_path / "marts").iterdir() if p.name.startswith(".")]


def test_publish_parquet_failure_keeps_previous_file_and_no_temp(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        replace_table(con, "marts.demo", pl.DataFrame({"x": [1]}))
        publish_parquet(con, "marts.demo", directory=tmp_path)
        con.execute("DROP TABLE marts.demo")
        with pytest.raises(duckdb.Error):
            publish_parquet(con, "marts.demo", directory=tmp_path)
    assert read_mart("demo", tmp_path)["x"].to_list() == [1]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".duckdb" and not p.name.endswith(".wal")) \
        == ["demo.parquet"]


def test_read_mart_unpublished_returns_none(tmp_path: Path):
    assert read_mart("compliance_rates", tmp_path) is None


@pytest.mark.parametrize("name", ["../etc/passwd", "Marts", "a-b", "", "x" * 80, "1abc"])
def test_read_mart_bad_name_raises(tmp_path: Path, name: str):
    with pytest.raises(MartNameError):
        read_mart(name, tmp_path)


def test_upsert_replaces_rows_by_key(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con:
        upsert(con, "feeds.t", pl.DataFrame({"k": ["a", "b"], "v": [1, 2]}), "k")
        upsert(con, "feeds.t", pl.DataFrame({"k": ["b", "c"], "v": [20, 30]}), "k")
        rows = con.execute("SELECT k, v FROM feeds.t ORDER BY k").fetchall()
    assert rows == [("a", 1), ("b", 20), ("c", 30)]


def test_connect_locked_by_other_process_raises_locked(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(30)",
         str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        started = time.monotonic()
        with pytest.raises(DuckDbLockedError, match="locked"):
            with connect(path, lock_wait=0.3):
                pass
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
