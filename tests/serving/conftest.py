"""Serving fixtures: the app on a fresh database (in process over ASGI), and a real `osiris serve`.

In-process tests drive the app through `httpx.ASGITransport` with its lifespan running, so the pool,
migrations and signing key are the real ones. The `live_server` fixture starts the actual command
in a subprocess on a free 127.0.0.1 port, for the flows that must hold over a real socket.

Databases are made here with async fixtures on the test loop (or in a helper thread), not with the
root conftest's `pg_url`: its `asyncio.run` clears the main thread's event loop, which pytest-asyncio's
session-scoped loop needs afterwards.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from serving.app import create_app
from serving.settings import Settings
from tests.serving import factories


@pytest.fixture(scope="session", autouse=True)
async def _session_loop() -> asyncio.AbstractEventLoop:
    """The session's event loop, remembered so `pytest_pyfunc_call` can put it back."""
    return asyncio.get_running_loop()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> None:
    """Reinstate the session loop if a sync fixture's `asyncio.run` cleared it (the root `pg_url` does)."""
    loop = pyfuncitem.funcargs.get("_session_loop")
    if loop is None or loop.is_closed():
        return
    try:
        current = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        current = None
    if current is None or current.is_closed():
        asyncio.set_event_loop(loop)


def make_settings(pg_url: str, home: Path, **overrides) -> Settings:
    """Settings for a test app: its own home and database, generous rate limits unless overridden."""
    values = {"database_url": pg_url, "home": home, "rate_limit_per_second": 10_000.0, "rate_limit_burst": 10_000}
    values.update(overrides)
    return Settings(**values)


@dataclass
class Api:
    """An app under test: its client, its pool, an admin token."""

    app: object
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    admin: str


async def start_api(settings: Settings) -> AsyncIterator[Api]:
    """Run the app's lifespan and yield a client bound to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://central.test") as client:
            admin = await factories.token(app.state.pool, "admin")
            yield Api(app, client, app.state.pool, admin)


async def _admin_sql(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _in_thread(coro) -> None:
    """Run a coroutine to completion on a private loop in another thread (leaves this thread's loop be)."""
    errors: list[BaseException] = []

    def _run() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=_run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
async def serving_template(pg_server_url: str) -> AsyncIterator[str]:
    """A migrated database the serving tests clone."""
    from warehouse.migrate import apply_migrations
    from warehouse.pg import with_database

    name = f"osiris_srv_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _admin_sql(pg_server_url, f'CREATE DATABASE "{name}"')
    await apply_migrations(with_database(pg_server_url, name))
    yield name
    await _admin_sql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db_url(pg_server_url: str, serving_template: str) -> AsyncIterator[str]:
    """A fresh migrated database for one test."""
    from warehouse.pg import with_database

    name = f"osiris_srv_{uuid.uuid4().hex[:12]}"
    await _admin_sql(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{serving_template}"')
    yield with_database(pg_server_url, name)
    await _admin_sql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The app on a fresh database, lifespan running."""
    async for handle in start_api(make_settings(db_url, tmp_path)):
        yield handle


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A real `osiris serve` process: where it listens and the environment it was started with."""

    base_url: str
    env: dict[str, str]
    proc: subprocess.Popen


@pytest.fixture(scope="module")
def live_server(
    pg_server_url: str, serving_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`osiris serve` in a subprocess on a free port, on its own database cloned from the template."""
    from warehouse.pg import with_database

    name = f"osiris_live_{uuid.uuid4().hex[:10]}"
    _in_thread(_admin_sql(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{serving_template}"'))
    home = tmp_path_factory.mktemp("live-home")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": with_database(pg_server_url, name), "OSIRIS_HOME": str(home)}
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            log.close()
            pytest.fail(f"osiris serve exited early:\n{(home / 'serve.log').read_text()[-2000:]}")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("osiris serve did not become ready in 60 s")
        time.sleep(0.1)
    try:
        yield LiveServer(base, env, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        _in_thread(_admin_sql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
