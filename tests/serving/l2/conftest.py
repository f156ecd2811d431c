"""L2 fixtures: a pool on a fresh database, a site with an appliance, the real catalog, incidents."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from contracts.api import L2PlanRequest
from contracts.incidents import Incident
from contracts.runbooks import RunbookCatalog
from serving.l2.catalog import load_runbooks
from serving.l2.settings import L2Settings
from serving.services.appliances import provision_appliance
from serving.services.auth import ApplianceIdentity
from serving.services.sites import create_site
from tests.serving.l2.fake_anthropic import API_KEY
from warehouse.pg import create_pool


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator:
    """An asyncpg pool on a fresh migrated database."""
    # `pg_url` runs asyncio.run(), which leaves no current loop behind; pytest-asyncio runs the test
    # itself on the current loop, so the session loop is made current again here.
    asyncio.set_event_loop(asyncio.get_running_loop())
    p = await create_pool(pg_url, min_size=1, max_size=4)
    try:
        yield p
    finally:
        await p.close()


async def make_appliance(pool, name: str = "Main Street Clinic", timezone: str = "UTC") -> ApplianceIdentity:
    """A site with one appliance, made through the service layer."""
    site = await create_site(pool, name=name, timezone=timezone)
    site_id = uuid.UUID(str(site["id"]))
    appliance_id, _ = await provision_appliance(pool, site_id, name="appliance-1")
    return ApplianceIdentity(id=appliance_id, site_id=site_id)


@pytest.fixture
async def appliance(pool) -> ApplianceIdentity:
    """An appliance on a fresh site."""
    return await make_appliance(pool)


@pytest.fixture(scope="session")
def catalog() -> RunbookCatalog:
    """The real runbook catalog the agent ships, read as data."""
    return load_runbooks()


def llm_settings(base_url: str | None, **overrides) -> L2Settings:
    """Settings pointing the SDK at a local server, with short timeouts."""
    values = {"anthropic_api_key": API_KEY if base_url else None, "anthropic_base_url": base_url,
              "llm_timeout": 2.0, "llm_max_retries": 0}
    values.update(overrides)
    return L2Settings(**values)


def firewall_incident(site_id, **details) -> Incident:
    """A Windows firewall drift on a site."""
    return Incident(site_id=str(site_id), host="[NAME_1]-pc", check_type="firewall_status", platform="windows",
                    severity="high", details={"profile": "domain", "enabled": False, **details})


def request_for(incident: Incident, catalog: RunbookCatalog) -> L2PlanRequest:
    """What the agent sends: the incident, its platform, and every runbook it has for that platform."""
    return L2PlanRequest(incident=incident, platform=incident.platform,
                         runbooks=[rb.id for rb in catalog.for_platform(incident.platform)])
