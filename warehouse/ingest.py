"""Move telemetry from Postgres into DuckDB `raw.<table>`: incremental by `ingest_seq`, as Arrow.

Each batch leaves Postgres as one `COPY (SELECT …) TO STDOUT (FORMAT csv)`, is parsed by polars
(typed from the Postgres catalog: timestamps travel as epoch microseconds, arrays and JSON as text)
and lands in DuckDB with one `INSERT … SELECT` over the Arrow frame: no Python work per row. The
cursor is saved in the same DuckDB transaction as the rows, so a re-run or a crash mid-way adds
nothing twice. Serving merges telemetry under one advisory lock, so `ingest_seq` is commit-ordered
and a cursor never skips a row that commits late.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import duckdb
import polars as pl

from warehouse.duck import check_name, columns, get_cursor, set_cursor, table_exists
from warehouse.errors import ExtractError
from warehouse.pg import connect
from warehouse.sql_files import sql

TELEMETRY_TABLES = ("incidents", "l2_decisions", "healing_outcomes", "check_results", "device_scans",
                    "software_inventory")
"""The Postgres tables the ingest group extracts, each with a `bigserial ingest_seq`."""

BATCH_ROWS = 100_000
_INTS = {"int2", "int4", "int8", "oid"}
_FLOATS = {"float4", "float8", "numeric"}


def quote_ident(name: str) -> str:
    """A Postgres identifier, double-quoted (names come from the catalog or a fixed list)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class PgColumn:
    """One Postgres column and how it travels: the SELECT expression and its polars types."""

    name: str
    type_name: str
    category: str

    def select_expr(self) -> str:
        """The expression that puts this column into CSV in a form polars reads exactly."""
        q = quote_ident(self.name)
        if self.type_name in ("timestamptz", "timestamp"):
            return f"(extract(epoch FROM {q}) * 1000000)::bigint AS {q}"
        if self.type_name == "date":
            return f"({q} - date '1970-01-01') AS {q}"
        if self.type_name == "bool":
            return f"{q}::int AS {q}"
        if self.type_name == "bytea":
            return f"encode({q}, 'hex') AS {q}"
        if self.category == "A":
            return f"to_json({q})::text AS {q}"
        if self.type_name in _INTS or self.type_name in _FLOATS:
            return q
        return f"{q}::text AS {q}"

    def csv_dtype(self) -> pl.DataType:
        """The polars type the CSV column is read as."""
        if self.type_name in _INTS or self.type_name in ("timestamptz", "timestamp"):
            return pl.Int64()
        if self.type_name in ("date", "bool"):
            return pl.Int32()
        if self.type_name in _FLOATS:
            return pl.Float64()
        return pl.Utf8()

    def final_expr(self) -> pl.Expr:
        """The cast from the CSV type to the type the raw table keeps."""
        col = pl.col(self.name)
        if self.type_name == "timestamptz":
            return col.cast(pl.Datetime("us", "UTC"))
        if self.type_name == "timestamp":
            return col.cast(pl.Datetime("us"))
        if self.type_name == "date":
            return col.cast(pl.Date)
        if self.type_name == "bool":
            return col.cast(pl.Boolean)
        return col


@dataclass(frozen=True)
class IngestResult:
    """What one incremental load did."""

    table: str
    new_rows: int
    cursor_before: int
    cursor_after: int
    raw_rows: int
    batches: int


async def pg_columns(conn: asyncpg.Connection, table: str) -> list[PgColumn]:
    """The table's columns from the catalog; ExtractError when it is missing or has no ingest_seq."""
    rows = await conn.fetch(sql("extract/columns"), quote_ident(table))
    # typcategory is Postgres's "char" type, which asyncpg hands back as bytes (b"A" for arrays).
    columns = [PgColumn(r["name"], r["type_name"], _text(r["category"])) for r in rows]
    if not columns:
        raise ExtractError(f"Postgres has no table {table!r} (are the migrations applied?)")
    if "ingest_seq" not in {c.name for c in columns}:
        raise ExtractError(f"Postgres table {table!r} has no ingest_seq column to extract by")
    return columns


async def pg_max_seq(conn: asyncpg.Connection, table: str) -> int:
    """The highest committed `ingest_seq` (0 for an empty table)."""
    return int(await conn.fetchval(sql("extract/max_seq").format(table=quote_ident(table))))


async def pg_count_upto(conn: asyncpg.Connection, table: str, seq: int) -> int:
    """How many rows have `ingest_seq <= seq`."""
    return int(await conn.fetchval(sql("extract/count_upto").format(table=quote_ident(table)), seq))


async def pg_seqs_upto(conn: asyncpg.Connection, table: str, seq: int) -> list[int]:
    """Every `ingest_seq <= seq`, in order (for reconciliation when counts disagree)."""
    rows = await conn.fetch(sql("extract/seqs_upto").format(table=quote_ident(table)), seq)
    return [r[0] for r in rows]


def empty_frame(columns: list[PgColumn]) -> pl.DataFrame:
    """A zero-row frame with the raw table's column types (creates the table before any rows exist)."""
    frame = pl.DataFrame(schema={c.name: c.csv_dtype() for c in columns})
    return frame.select([c.final_expr() for c in columns])


async def copy_batches(conn: asyncpg.Connection, table: str, columns: list[PgColumn], after: int,
                       upto: int, batch_rows: int = BATCH_ROWS) -> AsyncIterator[pl.DataFrame]:
    """Frames of rows with `after < ingest_seq <= upto`, at most `batch_rows` each, in seq order."""
    query = sql("extract/copy_since").format(
        columns=", ".join(c.select_expr() for c in columns), table=quote_ident(table))
    schema = {c.name: c.csv_dtype() for c in columns}
    casts = [c.final_expr() for c in columns]
    while after < upto:
        buf = io.BytesIO()
        await conn.copy_from_query(query, after, upto, batch_rows, output=buf, format="csv", header=True)
        if buf.tell() == 0:
            return
        frame = pl.read_csv(buf.getvalue(), schema=schema).select(casts)
        if frame.height == 0:
            return
        yield frame
        after = int(frame["ingest_seq"][-1])
        if frame.height < batch_rows:
            return


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    # A column added to Postgres after the raw table was made: add it (NULL for older rows).
    have = {r[0] for r in con.execute(sql("raw/columns"), {"table": table}).fetchall()}
    for name, dtype in columns(con, "_batch"):
        if name not in have:
            con.execute(sql("raw/add_column").format(table=table, column=quote_ident(name), type=dtype))


def load_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, after: int) -> int:
    """Append a frame's rows past `after` to `raw.<table>` and move the cursor, in one transaction."""
    check_name(table)
    con.begin()
    try:
        # Hand DuckDB Arrow, not the polars frame: its scan of Arrow string views is ~20x faster.
        con.register("_batch", frame.to_arrow())
        con.execute(sql("raw/create_like").format(table=table))
        _add_new_columns(con, table)
        inserted = con.execute(sql("raw/append").format(table=table), {"after": after}).fetchone()[0]
        if frame.height:
            set_cursor(con, table, max(after, int(frame["ingest_seq"].max())))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("_batch")
    return int(inserted)


def raw_state(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """`(max ingest_seq, row count)` of `raw.<table>`; `(0, 0)` when it does not exist yet."""
    if not table_exists(con, "raw", check_name(table)):
        return 0, 0
    seq, count = con.execute(sql("raw/max_seq").format(table=table)).fetchone()
    return int(seq), int(count)


async def ingest_table_async(pg: asyncpg.Connection | str | None, con: duckdb.DuckDBPyConnection,
                             table: str, batch_rows: int = BATCH_ROWS) -> IngestResult:
    """Extract `table`'s rows past the cursor into `raw.<table>`; returns what moved."""
    check_name(table)
    own = not isinstance(pg, asyncpg.Connection)
    conn = await connect(pg) if own else pg
    try:
        columns = await pg_columns(conn, table)
        # The cursor, or what raw already holds if the cursor row was lost: never load a row twice.
        start = max(get_cursor(con, table)[0], raw_state(con, table)[0])
        upto = await pg_max_seq(conn, table)
        new_rows = batches = 0
        after = start
        async for frame in copy_batches(conn, table, columns, after, upto, batch_rows):
            new_rows += load_frame(con, table, frame, after)
            after = int(frame["ingest_seq"].max())
            batches += 1
        if batches == 0:
            load_frame(con, table, empty_frame(columns), after)  # creates the table on a first, empty run
        return IngestResult(table, new_rows, start, max(after, start), raw_state(con, table)[1], batches)
    finally:
        if own:
            await conn.close()


def ingest_table(pg_url: str | None, con: duckdb.DuckDBPyConnection, table: str,
                 batch_rows: int = BATCH_ROWS) -> IngestResult:
    """Synchronous `ingest_table_async` for Dagster assets and scripts."""
    return asyncio.run(ingest_table_async(pg_url, con, table, batch_rows))


async def pg_max_seqs(pg: asyncpg.Connection | str | None = None) -> dict[str, int]:
    """Every telemetry table's highest committed `ingest_seq`, in one round trip (for the sensor)."""
    own = not isinstance(pg, asyncpg.Connection)
    conn = await connect(pg) if own else pg
    try:
        return {r["table_name"]: int(r["max_seq"]) for r in await conn.fetch(sql("extract/max_seqs"))}
    except asyncpg.UndefinedTableError as exc:
        raise ExtractError(f"Postgres has no telemetry tables yet (are the migrations applied?): {exc}") from exc
    finally:
        if own:
            await conn.close()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
