"""Seed Central Command's Postgres with chained evidence through the real ingest path (signature
verification and chaining included), as appliances' telemetry would."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import nacl.signing

from contracts.evidence import EvidenceBundle, sign_bundle
from contracts.telemetry import EventKind, TelemetryEvent
from serving.services.auth import ApplianceIdentity
from serving.services.telemetry import ingest
from warehouse.pg import create_pool

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass
class SeededSite:
    """A site, its appliance and key, and the bundle ids it sent (in chain order)."""

    site_id: uuid.UUID
    appliance_id: uuid.UUID
    key: nacl.signing.SigningKey
    bundle_ids: list[str] = field(default_factory=list)

    def identity(self) -> ApplianceIdentity:
        """The appliance as ingest sees it."""
        return ApplianceIdentity(self.appliance_id, self.site_id, signing_public_key=bytes(self.key.verify_key))


async def _site(conn, name: str) -> SeededSite:
    key = nacl.signing.SigningKey.generate()
    site_id = await conn.fetchval("INSERT INTO sites (name) VALUES ($1) RETURNING id", name)
    appliance_id = await conn.fetchval(
        "INSERT INTO appliances (site_id, api_key_hash, signing_public_key) VALUES ($1, $2, $3) RETURNING id",
        site_id, uuid.uuid4().hex, bytes(key.verify_key))
    return SeededSite(site_id, appliance_id, key)


def events(site: SeededSite, count: int, offset: int = 0) -> list[TelemetryEvent]:
    """`count` signed check-run bundles of the site, one minute apart."""
    out = []
    for n in range(offset, offset + count):
        bundle = EvidenceBundle(
            bundle_id=f"{site.site_id.hex[:8]}-{n}", site_id=str(site.site_id), appliance_id=str(site.appliance_id),
            kind="check" if n % 3 else "heal", check_type="firewall_status", target=f"ws-{n:02d}",
            result="pass" if n % 4 else "fail", before={"enabled": n % 2 == 0}, created_at=START + timedelta(minutes=n))
        signed = sign_bundle(bundle, site.key)
        out.append(TelemetryEvent(event_id=bundle.bundle_id, kind=EventKind.EVIDENCE_BUNDLE,
                                  payload=signed.model_dump(mode="json")))
    return out


def seed(pg_url: str, *, sites: int = 1, bundles: int = 7) -> list[SeededSite]:
    """Sites, each with one appliance that sent `bundles` evidence bundles (one telemetry batch)."""
    async def _go() -> list[SeededSite]:
        pool = await create_pool(pg_url, min_size=1, max_size=2)
        try:
            made = []
            for n in range(sites):
                async with pool.acquire() as conn:
                    site = await _site(conn, f"Clinic {n}")
                made.append(site)
            for site in made:
                await send(pool, site, bundles)
            return made
        finally:
            await pool.close()

    return asyncio.run(_go())


async def send(pool, site: SeededSite, count: int) -> None:
    """Ingest `count` more bundles for the site."""
    batch = events(site, count, offset=len(site.bundle_ids))
    await ingest(pool, site.identity(), batch)
    site.bundle_ids += [e.event_id for e in batch]


def send_more(pg_url: str, site: SeededSite, count: int) -> None:
    """`send`, from synchronous test code."""
    async def _go() -> None:
        pool = await create_pool(pg_url, min_size=1, max_size=2)
        try:
            await send(pool, site, count)
        finally:
            await pool.close()

    asyncio.run(_go())
