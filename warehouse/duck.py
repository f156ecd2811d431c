"""The DuckDB warehouse: connect (with its layers applied), cursors, and atomic Parquet publishing.

Only Dagster writes `$OSIRIS_HOME/warehouse.duckdb`. Everyone else (Streamlit, the read API) reads
the marts as Parquet files under `$OSIRIS_HOME/marts/`, published by write-to-temp + `os.replace`,
so a reader never sees half a file and never waits on the warehouse's single write lock.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from warehouse.errors import DuckDbError, DuckDbLockedError, MartNameError
from warehouse.settings import osiris_home
from warehouse.sql_files import sql

if TYPE_CHECKING:
    import polars as pl

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VIEW = re.compile(r"^_[a-z][a-z0-9_]{0,62}$")  # frames registered for one statement (`_batch`, `_frame`)
_LOCK_WAIT = 30.0  # seconds: a scheduled run may hold the file briefly while the UI launches another


def warehouse_path() -> Path:
    """`$OSIRIS_HOME/warehouse.duckdb`."""
    return osiris_home() / "warehouse.duckdb"


def marts_dir() -> Path:
    """`$OSIRIS_HOME/marts`, where published marts live as `<name>.parquet`."""
    return osiris_home() / "marts"


def check_name(name: str) -> str:
    """A mart or table name, refused unless it is a plain identifier (it becomes a file name)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise MartNameError(f"not a mart name (lower-case letters, digits, _): {str(name)[:64]!r}")
    return name


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


@contextmanager
def connect(path: str | Path | None = None, *, read_only: bool = False,
            lock_wait: float = _LOCK_WAIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file with the layer schemas applied (`:memory:` works too).

    Waits up to `lock_wait` seconds for another process's write lock, then DuckDbLockedError.
    """
    target = str(path) if path is not None else str(warehouse_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    deadline, delay = time.monotonic() + lock_wait, 0.05
    while True:
        try:
            con = duckdb.connect(target, read_only=read_only)
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise DuckDbError(f"cannot open the warehouse at {target}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise DuckDbLockedError(
                    f"the warehouse at {target} is locked by another process; waited {lock_wait:.0f} s"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        # Days and weeks in the marts are UTC days and weeks, whatever the host's zone is.
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            apply_schema(con)
        yield con
    finally:
        con.close()


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the layer schemas and the cursor table if missing (idempotent)."""
    con.execute(sql("raw/schema"))


def run_sql(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> None:
    """Run a named `warehouse/sql/<name>.sql` (several statements allowed when it takes no params)."""
    con.execute(sql(name), params) if params else con.execute(sql(name))


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when `schema.table` exists in the warehouse."""
    row = con.execute(sql("duck/table_exists"), {"schema": schema, "table": table}).fetchone()
    return bool(row and row[0])


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """`(name, type)` of each column of `schema.name` (or of a registered view such as `_batch`)."""
    if "." in table:
        target = _qualified(table)
    elif _VIEW.match(table):
        target = table
    else:
        raise MartNameError(f"not a table (schema.name) or registered view (_name): {table[:64]!r}")
    return [(r[0], r[1]) for r in con.execute(sql("duck/describe").format(table=target)).fetchall()]


def get_cursor(con: duckdb.DuckDBPyConnection, name: str) -> tuple[int, datetime | None]:
    """The saved `(last_seq, last_modified)` for a source; `(0, None)` before the first load."""
    row = con.execute(sql("raw/cursor_get"), {"name": name}).fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


def set_cursor(con: duckdb.DuckDBPyConnection, name: str, last_seq: int = 0,
               last_modified: datetime | None = None) -> None:
    """Save a source's cursor (call inside the transaction that loaded its rows)."""
    con.execute(sql("raw/cursor_set"), {"name": name, "last_seq": last_seq, "last_modified": last_modified})


def mart_path(name: str, directory: str | Path | None = None) -> Path:
    """Where the mart `name` is published: `<marts dir>/<name>.parquet`."""
    return Path(directory or marts_dir()) / f"{check_name(name)}.parquet"


def publish_parquet(con: duckdb.DuckDBPyConnection, table: str, name: str | None = None,
                    directory: str | Path | None = None) -> Path:
    """Write `table` (e.g. `marts.compliance_rates`) to `<marts dir>/<name>.parquet` atomically."""
    schema, _, bare = table.rpartition(".")
    check_name(bare)
    if schema:
        check_name(schema)
    final = mart_path(name or bare, directory)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        quoted = str(tmp).replace("'", "''")
        con.execute(sql("duck/copy_parquet").format(table=table, path=quoted))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    return final


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk; not every platform allows it.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_mart(name: str, directory: str | Path | None = None) -> pl.DataFrame | None:
    """The published mart as a polars DataFrame, or None when it has not been published yet.

    Reads only the Parquet file: never opens (or waits on) the DuckDB warehouse.
    """
    import polars as pl

    path = mart_path(name, directory)
    if not path.is_file():
        return None
    return pl.read_parquet(path)


def scan_mart(name: str, directory: str | Path | None = None) -> pl.LazyFrame | None:
    """The published mart as a lazy polars scan (filters push down into the Parquet), or None."""
    import polars as pl

    path = mart_path(name, directory)
    if not path.is_file():
        return None
    return pl.scan_parquet(path)


def published_at(name: str, directory: str | Path | None = None) -> datetime | None:
    """When the mart was last published (UTC), or None if it never was."""
    from datetime import UTC

    try:
        return datetime.fromtimestamp(mart_path(name, directory).stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


def published_marts(directory: str | Path | None = None) -> dict[str, datetime]:
    """Every published mart's name and when it was last published (file modification time, UTC)."""
    from datetime import UTC

    folder = Path(directory or marts_dir())
    if not folder.is_dir():
        return {}
    return {
        p.stem: datetime.fromtimestamp(p.stat().st_mtime, UTC)
        for p in sorted(folder.glob("*.parquet"))
        if _NAME.match(p.stem)
    }


def _arrow(frame: Any) -> Any:
    # DuckDB scans Arrow far faster than it scans a polars frame handed to it directly.
    return frame.to_arrow() if hasattr(frame, "to_arrow") else frame


def _qualified(table: str) -> str:
    schema, _, bare = table.partition(".")
    if not bare:
        raise MartNameError(f"table must be schema.name: {table!r}")
    return f"{check_name(schema)}.{check_name(bare)}"


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: Any) -> int:
    """Replace `schema.name` with a polars / Arrow frame's rows; returns the row count."""
    target = _qualified(table)
    con.register("_frame", _arrow(frame))
    try:
        con.execute(sql("duck/replace").format(table=target))
    finally:
        con.unregister("_frame")
    return count_rows(con, target)


def upsert(con: duckdb.DuckDBPyConnection, table: str, frame: Any, key: str) -> int:
    """Replace the rows of `schema.name` whose `key` appears in the frame, then add the frame's rows.

    Runs in the caller's transaction when one is open; returns how many rows the frame held.
    """
    target = _qualified(table)
    con.register("_frame", _arrow(frame))
    try:
        con.execute(sql("duck/create_empty").format(table=target))
        con.execute(sql("duck/delete_keys").format(table=target, key=check_name(key)))
        con.execute(sql("duck/insert").format(table=target))
    finally:
        con.unregister("_frame")
    return len(frame)


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in `schema.name`."""
    return int(con.execute(sql("duck/count").format(table=_qualified(table))).fetchone()[0])
