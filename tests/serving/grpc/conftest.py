"""gRPC fixtures: a fresh database's pool, both listeners on ephemeral 127.0.0.1 ports, a site."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import nacl.signing
import pytest

from contracts.envelope import generate_signing_key
from serving.grpc.server import GrpcServers, serve
from serving.grpc.settings import GrpcSettings
from serving.services import sites
from warehouse.pg import create_pool


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh migrated database."""
    p = await create_pool(db_url, min_size=1, max_size=8, server_settings={"timezone": "UTC"})
    yield p
    await p.close()


@pytest.fixture
def signing_key() -> nacl.signing.SigningKey:
    """The server's order-signing key for this test."""
    return generate_signing_key()


@pytest.fixture
def grpc_settings(tmp_path: Path) -> GrpcSettings:
    """Settings with the CA under this test's home and both ports ephemeral."""
    return GrpcSettings(home=tmp_path, enroll_port=0, shutdown_grace_seconds=0.5)


@pytest.fixture
async def servers(pool, signing_key, grpc_settings) -> AsyncIterator[GrpcServers]:
    """Both gRPC listeners, running."""
    running = await serve(pool, signing_key, port=0, settings=grpc_settings)
    yield running
    await running.stop()


@pytest.fixture
async def site_id(pool) -> uuid.UUID:
    """A live site."""
    return uuid.UUID((await sites.create_site(pool, name="Main Street Clinic"))["id"])
