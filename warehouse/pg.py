"""Reaching Postgres: `DATABASE_URL` when set, else an embedded server under `$OSIRIS_HOME/pg`.

Both paths hand out a plain connection URL, so everything above this module runs the same code
whichever Postgres it talks to.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from warehouse.errors import DatabaseUnavailableError
from warehouse.settings import osiris_home

_embedded: dict[Path, Any] = {}
_lock = threading.Lock()


def _runtime_dir() -> None:
    # pgserver (through platformdirs) wants a private runtime directory; make one if the host has none.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"osiris-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def embedded_url(pgdata: Path | None = None) -> str:
    """Start (or reuse) the embedded Postgres and return its URL; it stops when this process exits."""
    pgdata = Path(pgdata or osiris_home() / "pg").resolve()
    with _lock:
        server = _embedded.get(pgdata)
        if server is None:
            _runtime_dir()
            import pgserver  # imported here: only the embedded default needs it

            try:
                pgdata.parent.mkdir(parents=True, exist_ok=True)
                server = pgserver.get_server(pgdata, cleanup_mode="stop")
            except Exception as exc:  # pgserver raises bare exceptions; translate once, here
                raise DatabaseUnavailableError(f"embedded Postgres did not start in {pgdata}: {exc}") from exc
            _embedded[pgdata] = server
        return server.get_uri()


def database_url() -> str:
    """`DATABASE_URL` if set, else the embedded default's URL."""
    return os.environ.get("DATABASE_URL") or embedded_url()


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def redact(url: str) -> str:
    """A URL safe to print: the password replaced."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


async def connect(url: str | None = None, **kwargs: Any) -> asyncpg.Connection:
    """One asyncpg connection, with unreachable servers translated to DatabaseUnavailableError."""
    target = url or database_url()
    try:
        return await asyncpg.connect(target, **kwargs)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailableError(f"cannot reach Postgres at {redact(target)}: {exc}") from exc


async def _pool_connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    # The pool reconnects on its own after Postgres restarts; until it can, a refused or missing
    # socket (OSError) must reach callers as the database being unavailable, not as a bare OSError.
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError) as exc:
        raise DatabaseUnavailableError(f"cannot reach Postgres: {type(exc).__name__}: {exc}") from exc


async def create_pool(url: str | None = None, *, min_size: int = 1, max_size: int = 10, **kwargs: Any):
    """An asyncpg pool; JSON and JSONB columns come back as Python objects."""
    target = url or database_url()

    async def _init(conn: asyncpg.Connection) -> None:
        import json

        for typ in ("json", "jsonb"):
            await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")

    try:
        return await asyncpg.create_pool(target, min_size=min_size, max_size=max_size, init=_init,
                                         connect=_pool_connect, **kwargs)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailableError(f"cannot reach Postgres at {redact(target)}: {exc}") from exc
