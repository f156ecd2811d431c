"""Postgres → DuckDB raw extraction: typed Arrow batches, a cursor per table, idempotent re-runs."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from tests.pipelines.seed import generate, write
from warehouse.duck import connect, get_cursor
from warehouse.errors import ExtractError
from warehouse.ingest import TELEMETRY_TABLES, PgColumn, ingest_table


def _exec(url: str, *statements: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def test_pg_column_timestamp_travels_as_epoch_micros():
    col = PgColumn("observed_at", "timestamptz", "D")
    assert "extract(epoch FROM \"observed_at\") * 1000000" in col.select_expr()
    assert str(col.csv_dtype()) == "Int64"


def test_pg_column_array_and_json_travel_as_text():
    assert PgColumn("site_ids", "_uuid", "A").select_expr() == 'to_json("site_ids")::text AS "site_ids"'
    assert PgColumn("payload", "jsonb", "U").select_expr() == '"payload"::text AS "payload"'
    assert PgColumn('we"ird', "int8", "N").select_expr() == '"we""ird"'


def test_ingest_every_table_copies_all_rows_typed(pg_url: str, tmp_path: Path):
    fleet = generate(sites=2, hosts=3, days=2)
    asyncio.run(write(pg_url, fleet))
    with connect(tmp_path / "w.duckdb") as con:
        for table in TELEMETRY_TABLES:
            result = ingest_table(pg_url, con, table, batch_rows=7)
            assert result.new_rows == fleet.count(table) == result.raw_rows
            assert get_cursor(con, table)[0] == result.cursor_after
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'raw' AND table_name = 'device_scans'").fetchall())
        first = con.execute("SELECT event_id, scanned_at, in_inventory FROM raw.device_scans "
                            "ORDER BY ingest_seq LIMIT 1").fetchone()
    assert types["scanned_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["in_inventory"] == "BOOLEAN"
    assert types["ingest_seq"] == "BIGINT"
    expected = fleet.rows["device_scans"][0]
    assert first == (expected[0], expected[8], True)


def test_ingest_rerun_adds_nothing(pg_url: str, tmp_path: Path):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=2)))
    with connect(tmp_path / "w.duckdb") as con:
        first = ingest_table(pg_url, con, "check_results")
        again = ingest_table(pg_url, con, "check_results")
    assert first.new_rows > 0
    assert (again.new_rows, again.raw_rows, again.cursor_after) == (0, first.raw_rows, first.cursor_after)


def test_ingest_rows_after_cursor_are_picked_up(pg_url: str, tmp_path: Path):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=1, seed=1)))
    with connect(tmp_path / "w.duckdb") as con:
        first = ingest_table(pg_url, con, "check_results")
        later = generate(sites=1, hosts=2, days=1, seed=2)
        asyncio.run(write(pg_url, later, tables=["check_results"]))
        second = ingest_table(pg_url, con, "check_results")
        ids = {r[0] for r in con.execute("SELECT event_id FROM raw.check_results").fetchall()}
    assert second.cursor_before == first.cursor_after
    assert second.new_rows == later.count("check_results")
    assert {r[0] for r in later.rows["check_results"]} <= ids


def test_ingest_lost_cursor_does_not_load_twice(pg_url: str, tmp_path: Path):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=1)))
    with connect(tmp_path / "w.duckdb") as con:
        first = ingest_table(pg_url, con, "check_results")
        con.execute("DELETE FROM raw._cursors")
        again = ingest_table(pg_url, con, "check_results")
    assert again.new_rows == 0 and again.raw_rows == first.raw_rows


def test_ingest_awkward_text_round_trips(pg_url: str, tmp_path: Path):
    site = uuid.uuid4()
    awkward = ['', 'comma, "quote"\nnew line', 'naïve — ünïcode', '\\N', None]
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

    async def seed() -> None:
        conn = await asyncpg.connect(pg_url)
        await conn.execute("INSERT INTO sites (id, name) VALUES ($1, 'x')", site)
        for n, text in enumerate(awkward):
            await conn.execute(
                "INSERT INTO healing_outcomes (event_id, incident_id, site_id, tier, status, "
                "pattern_signature, finished_at, payload, error) VALUES ($1, 'i', $2, 'L1', 'healed', 's', $3, "
                "'{}'::jsonb, $4)", f"e{n}", site, stamp, text)
        await conn.close()

    asyncio.run(seed())
    with connect(tmp_path / "w.duckdb") as con:
        ingest_table(pg_url, con, "healing_outcomes")
        rows = con.execute("SELECT error, finished_at FROM raw.healing_outcomes ORDER BY ingest_seq").fetchall()
    assert [r[0] for r in rows] == awkward
    assert {r[1] for r in rows} == {stamp}


def test_ingest_new_postgres_column_reaches_raw(pg_url: str, tmp_path: Path):
    asyncio.run(write(pg_url, generate(sites=1, hosts=1, days=1)))
    with connect(tmp_path / "w.duckdb") as con:
        ingest_table(pg_url, con, "check_results")
        _exec(pg_url, "ALTER TABLE check_results ADD COLUMN agent_version text")
        later = generate(sites=1, hosts=1, days=1, seed=9)
        asyncio.run(write(pg_url, later, tables=["check_results"]))
        _exec(pg_url, "UPDATE check_results SET agent_version = '1.2.3'")
        result = ingest_table(pg_url, con, "check_results")
        versions = con.execute("SELECT DISTINCT agent_version FROM raw.check_results ORDER BY 1").fetchall()
    assert result.new_rows == later.count("check_results")
    assert versions == [("1.2.3",), (None,)]


def test_ingest_array_column_arrives_as_json(pg_url: str, tmp_path: Path):
    asyncio.run(write(pg_url, generate(sites=1, hosts=1, days=1)))
    _exec(pg_url, "ALTER TABLE check_results ADD COLUMN tags text[]")
    _exec(pg_url, "UPDATE check_results SET tags = ARRAY['a,b', 'c']")
    with connect(tmp_path / "w.duckdb") as con:
        ingest_table(pg_url, con, "check_results")
        tags = con.execute("SELECT DISTINCT tags FROM raw.check_results").fetchall()
    # JSON, not Postgres's own '{"a,b",c}' text, so a comma inside an element survives.
    assert [json.loads(t[0]) for t in tags] == [["a,b", "c"]]


def test_ingest_missing_table_raises_extract_error(pg_url: str, tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(ExtractError, match="no table"):
        ingest_table(pg_url, con, "not_a_table")


def test_ingest_table_without_ingest_seq_raises_extract_error(pg_url: str, tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(ExtractError, match="ingest_seq"):
        ingest_table(pg_url, con, "sites")
