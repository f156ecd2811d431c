"""Hardening fixtures: the serving and gRPC fixtures reused as they are, plus a seeded live server.

The serving fixtures are imported rather than copied, so the app under attack here is started exactly
as the serving tests start it (fresh migrated database, lifespan running, the same session loop).
`seeded_server` is a real `osiris serve` on 127.0.0.1 with rows to hit: for each role a site, an
appliance, an order, a credential, an enrollment token and one telemetry event of every kind, plus
a signed rules bundle, and role tokens (the partner's scoped to its own site).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serving import factories
from tests.serving.conftest import (  # noqa: F401 - fixtures are found by name in this module
    _admin_sql,
    _free_port,
    _in_thread,
    _session_loop,
    api,
    db_url,
    pytest_pyfunc_call,
    serving_template,
)
from tests.serving.factories import bearer
from tests.serving.grpc.conftest import grpc_settings, pool, servers, signing_key, site_id  # noqa: F401

ROLES = ("admin", "partner", "auditor", "appliance")
SEED_PASSWORD = "hunter2-seed-credential"


def _offline(environ: dict[str, str]) -> dict[str, str]:
    """The environment without an LLM key or L3 channel settings: the server must never leave 127.0.0.1."""
    return {k: v for k, v in environ.items() if k != "ANTHROPIC_API_KEY" and not k.startswith("OSIRIS_L3_")}


@dataclass
class SeededServer:
    """A live server, each role's bearer secret, and the ids each role's requests should hit."""

    base_url: str
    secrets: dict[str, str]
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    log_path: Path | None = None

    def headers(self, role: str) -> dict[str, str]:
        """The Authorization header for a role."""
        return bearer(self.secrets[role])


async def _seed(base_url: str, database_url: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    from serving.services.auth import Role, create_token
    from warehouse.pg import create_pool

    db = await create_pool(database_url, min_size=1, max_size=2)
    try:
        admin = (await create_token(db, Role.ADMIN, []))[1]
        auditor = (await create_token(db, Role.AUDITOR, []))[1]
        ids: dict[str, dict[str, str]] = {}
        secrets = {"admin": admin, "auditor": auditor}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for role in ROLES:
                ids[role] = await _seed_site(client, admin, role)
            partner_site = uuid.UUID(ids["partner"]["site_id"])
            secrets["partner"] = (await create_token(db, Role.PARTNER, [partner_site]))[1]
            secrets["appliance"] = ids["appliance"].pop("api_key")
            rule = {"id": "L1-HARDEN-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "x"}],
                    "action": "escalate"}
            r = await client.post("/api/bundles", json={"rules": [rule]}, headers=bearer(admin))
            assert r.status_code == 201, r.text
        for role_ids in ids.values():
            role_ids.pop("api_key", None)
        return secrets, ids
    finally:
        await db.close()


async def _seed_site(client: httpx.AsyncClient, admin: str, role: str) -> dict[str, Any]:
    site = await factories.site(client, admin, name=f"{role} clinic")
    appliance = await factories.appliance(client, admin, site, name=f"{role}-appliance")
    r = await client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "run_drift"},
                          headers=bearer(admin))
    assert r.status_code == 201, r.text
    order = r.json()["id"]
    r = await client.post(f"/api/sites/{site}/credentials", headers=bearer(admin),
                          json={"host": "pc-1.clinic.lan", "username": "svc", "password": SEED_PASSWORD})
    assert r.status_code == 201, r.text
    credential = r.json()["id"]
    r = await client.post(f"/api/sites/{site}/enrollment-tokens", json={}, headers=bearer(admin))
    assert r.status_code == 201, r.text
    token = r.json()["id"]
    events = factories.one_of_each(site, appliance=appliance)
    r = await client.post("/api/agent/telemetry", json={"events": events}, headers=appliance.headers)
    assert r.status_code == 200, r.text
    r = await client.get("/api/escalations", params={"site_id": site}, headers=bearer(admin))
    assert r.status_code == 200 and r.json(), r.text
    return {"site_id": site, "appliance_id": appliance.appliance_id, "order_id": order, "credential_id": credential,
            "token_id": token, "escalation_id": r.json()[0]["id"], "api_key": appliance.api_key}


@pytest.fixture(scope="session")
def seeded_server(pg_server_url: str, serving_template: str,  # noqa: F811 - the imported fixture
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededServer]:
    """`osiris serve` on a free 127.0.0.1 port and its own database, seeded for every role."""
    from warehouse.pg import with_database

    name = f"osiris_hard_{uuid.uuid4().hex[:10]}"
    _in_thread(_admin_sql(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{serving_template}"'))
    home = tmp_path_factory.mktemp("hardening-home")
    port = _free_port()
    database_url = with_database(pg_server_url, name)
    env = _offline(dict(os.environ))
    # Generous limits: the bucket is tested on its own; here it would only turn requests into 429s.
    env.update(DATABASE_URL=database_url, OSIRIS_HOME=str(home), OSIRIS_RATE_LIMIT_PER_SECOND="100000",
               OSIRIS_RATE_LIMIT_BURST="100000")
    log_path = home / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the teardown below
    # Debug logging: everything the server says during the suites lands in serve.log, which a test
    # then searches for the secrets it was handed.
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "debug"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"osiris serve exited early:\n{log_path.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("osiris serve did not become ready in 60 s")
            time.sleep(0.1)
        result: dict[str, Any] = {}

        async def seed() -> None:
            result["seeded"] = await _seed(base, database_url)

        _in_thread(seed())
        secrets, ids = result["seeded"]
        server = SeededServer(base, secrets, ids, log_path)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        _in_thread(_admin_sql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
