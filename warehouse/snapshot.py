"""Full snapshots of Central Command's small state tables (sites, escalations, rules) into DuckDB `raw`.

Telemetry is append-only and moves incrementally (`warehouse.ingest`); these tables are not (rows
change status in place), and they are small, so each run copies the whole table. Pages leave
Postgres as `COPY … (FORMAT csv)` inside one REPEATABLE READ transaction (every page sees the same
snapshot), are typed by polars from the catalog (as `warehouse.ingest` does) and land in DuckDB as
Arrow; the raw table is replaced in one DuckDB transaction, so readers never see half a snapshot.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import asyncpg
import duckdb
import polars as pl

from warehouse.duck import check_name
from warehouse.errors import ExtractError
from warehouse.ingest import PgColumn, empty_frame, quote_ident
from warehouse.pg import connect
from warehouse.sql_files import sql

SNAPSHOT_ROWS = 50_000


@dataclass(frozen=True)
class SnapshotResult:
    """What one full snapshot copied."""

    table: str
    rows: int
    batches: int


async def _columns(conn: asyncpg.Connection, table: str) -> list[PgColumn]:
    rows = await conn.fetch(sql("extract/columns"), quote_ident(table))
    if not rows:
        raise ExtractError(f"Postgres has no table {table!r} (are the migrations applied?)")
    # asyncpg hands the `"char"` typcategory over as bytes: decode it, or arrays would not travel as JSON.
    return [PgColumn(r["name"], r["type_name"], _text(r["category"])) for r in rows]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _load(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, first: bool) -> None:
    con.register("_batch", frame.to_arrow())
    try:
        con.execute(sql("snapshot/replace" if first else "snapshot/append").format(table=table))
    finally:
        con.unregister("_batch")


async def snapshot_table_async(pg: asyncpg.Connection | str | None, con: duckdb.DuckDBPyConnection,
                               table: str, batch_rows: int = SNAPSHOT_ROWS) -> SnapshotResult:
    """Replace `raw.<table>` with every row of Postgres `table`; returns what moved."""
    check_name(table)
    own = not isinstance(pg, asyncpg.Connection)
    conn = await connect(pg) if own else pg
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            columns = await _columns(conn, table)
            query = sql("snapshot/copy_page").format(
                columns=", ".join(c.select_expr() for c in columns), table=quote_ident(table))
            schema = {c.name: c.csv_dtype() for c in columns}
            casts = [c.final_expr() for c in columns]
            con.begin()
            try:
                rows = batches = 0
                while True:
                    buf = io.BytesIO()
                    await conn.copy_from_query(query, batch_rows, rows, output=buf, format="csv", header=True)
                    frame = (pl.read_csv(buf.getvalue(), schema=schema).select(casts) if buf.tell()
                             else empty_frame(columns))
                    if frame.height or batches == 0:
                        _load(con, table, frame, first=batches == 0)  # the first page (even empty) makes the table
                        batches += 1
                    rows += frame.height
                    if frame.height < batch_rows:
                        break
                con.commit()
            except BaseException:
                con.rollback()
                raise
        return SnapshotResult(table, rows, batches)
    finally:
        if own:
            await conn.close()


def snapshot_table(pg_url: str | None, con: duckdb.DuckDBPyConnection, table: str,
                   batch_rows: int = SNAPSHOT_ROWS) -> SnapshotResult:
    """Synchronous `snapshot_table_async` for Dagster assets."""
    return asyncio.run(snapshot_table_async(pg_url, con, table, batch_rows))
