"""Apply the numbered `warehouse/migrations/NNNN_slug.sql` files, each once, in order.

Each file runs in one transaction together with the row recording it, and the whole run holds an
advisory lock, so two processes starting at once apply every migration exactly once.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from warehouse.errors import MigrationError
from warehouse.pg import connect

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x05171215  # any constant shared by every Osiris process: "osiris migrations"


@dataclass(frozen=True)
class Migration:
    """One numbered migration file."""

    version: int
    name: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a misnamed or duplicated number is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"migration file name must be NNNN_slug.sql: {path.name}")
        version = int(m.group(1))
        if version in found:
            raise MigrationError(f"two migrations numbered {version:04d}")
        found[version] = Migration(version, m.group(2), path)
    return [found[v] for v in sorted(found)]


async def apply_migrations(conn_or_url: asyncpg.Connection | str | None = None,
                           directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call."""
    own = not isinstance(conn_or_url, asyncpg.Connection)
    conn = await connect(conn_or_url) if own else conn_or_url
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            applied = []
            for mig in discover(directory):
                if mig.version in done:
                    continue
                try:
                    async with conn.transaction():
                        await conn.execute(mig.path.read_text())
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            mig.version, mig.name,
                        )
                except asyncpg.PostgresError as exc:
                    raise MigrationError(f"migration {mig.path.name} failed: {exc}") from exc
                applied.append(mig.version)
            return applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        if own:
            await conn.close()


def migrate(url: str | None = None) -> list[int]:
    """Synchronous wrapper for command-line use."""
    return asyncio.run(apply_migrations(url))
