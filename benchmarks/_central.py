"""Shared by the Central Command benchmarks: a throwaway database and a real `osiris serve` on it.

The server runs as its own process (uvicorn, one worker) on a free 127.0.0.1 port, exactly as
`osiris serve` runs in production; the benchmark drives it over HTTP from this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from warehouse.pg import database_url, with_database  # noqa: E402


def _admin_sql(server_url: str, statement: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """An empty database on `DATABASE_URL` (or the embedded default), dropped afterwards."""
    server = database_url()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server, name)
    finally:
        _admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def osiris_serve(db_url: str, *, args: tuple[str, ...] = (), home: str | None = None,
                 **settings: str) -> Iterator[str]:
    """`osiris serve` on `db_url` with extra CLI `args` and `OSIRIS_*` settings; yields its base URL once
    /readyz is 200."""
    home = home or tempfile.mkdtemp(prefix="osiris-bench-")
    env = {**os.environ, "DATABASE_URL": db_url, "OSIRIS_HOME": home,
           "OSIRIS_RATE_LIMIT_PER_SECOND": "1000000", "OSIRIS_RATE_LIMIT_BURST": "1000000"}
    env.update({f"OSIRIS_{k.upper()}": v for k, v in settings.items()})
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--log-level", "warning", *args],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"osiris serve exited: {proc.stderr.read().decode()[-500:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("osiris serve did not become ready in 60 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def admin_token(db_url: str) -> str:
    """A fresh admin token on the database (the server must have migrated it already)."""
    from serving.services.auth import Role, create_token

    async def run() -> str:
        conn = await asyncpg.connect(db_url)
        try:
            return (await create_token(conn, Role.ADMIN, []))[1]
        finally:
            await conn.close()

    return asyncio.run(run())


def provision(base: str, admin: str) -> tuple[str, str, str]:
    """A site and an appliance through the API: (site_id, appliance_id, api_key)."""
    headers = {"Authorization": f"Bearer {admin}"}
    site = httpx.post(base + "/api/sites", json={"name": "bench"}, headers=headers).json()["id"]
    prov = httpx.post(f"{base}/api/sites/{site}/appliances", json={}, headers=headers).json()
    return site, prov["appliance_id"], prov["api_key"]
