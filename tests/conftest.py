"""Fixtures shared by every test: the reference data, and a real Postgres per test.

Postgres is `DATABASE_URL` when set, else the embedded default (pgserver) in a temporary directory:
the same code path the product uses. Each test that asks for `pg_url` gets a fresh database cloned
from a migrated template, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import asyncpg
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference data (NVD, OSCAL, HIPAA, OTS) the project ships beside the code."""
    from warehouse.settings import reference_data_dir

    path = reference_data_dir()
    if path is None:
        pytest.fail("reference data (../shared/data) not found; set OSIRIS_SHARED_DATA")
    return path


@pytest.fixture(scope="session", autouse=True)
def _osiris_home() -> Path:
    # Never touch the developer's ~/.osiris from a test run. Not under pytest's basetemp: pytest
    # prunes old basetemps, and a concurrent run would delete this run's embedded Postgres.
    home = Path(tempfile.mkdtemp(prefix="osiris-test-home-"))
    os.environ["OSIRIS_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_HOME", str(home / "dagster"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url(_osiris_home: Path) -> str:
    """A URL of the Postgres server under test (any database on it)."""
    from warehouse.pg import database_url

    return database_url()


async def _admin_execute(url: str, statement: str) -> None:
    """One statement on its own connection (CREATE / DROP DATABASE cannot run in a transaction)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _run(coro) -> None:
    """Run a coroutine to completion in its own thread and loop.

    `asyncio.run` on the test thread would close and unset pytest-asyncio's session loop, breaking
    every async test that runs after a sync fixture used it.
    """
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> str:
    """A migrated database that per-test databases are cloned from."""
    from warehouse.migrate import apply_migrations
    from warehouse.pg import with_database

    name = f"osiris_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def _make() -> None:
        await _admin_execute(pg_server_url, f'CREATE DATABASE "{name}"')
        await apply_migrations(with_database(pg_server_url, name))

    _run(_make())
    yield name
    _run(_admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_server_url: str, pg_template: str) -> str:
    """A fresh, migrated database for one test; dropped afterwards."""
    from warehouse.pg import with_database

    name = f"osiris_t_{uuid.uuid4().hex[:12]}"
    _run(_admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield with_database(pg_server_url, name)
    _run(_admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def osiris_cmd() -> list[str]:
    """The argv prefix that runs the installed `osiris` command in this interpreter."""
    import sys

    return [sys.executable, "-m", "cli.main"]
