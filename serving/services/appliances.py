"""Appliances: provisioning (the API key is shown once), listing, revocation and their public keys."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from serving.errors import Conflict, NotFound
from serving.security import APPLIANCE_KEY_PREFIX, b64, hash_secret, new_secret
from serving.services.auth import ApplianceIdentity
from serving.services.sites import get_site
from warehouse.rows import _row_dict
from warehouse.sql_files import sql


def _public(row: asyncpg.Record) -> dict[str, Any]:
    out = _row_dict(row)
    out["box_public_key"] = b64(row["box_public_key"])
    out["signing_public_key"] = b64(row["signing_public_key"])
    return out


async def provision_appliance(
    pool: asyncpg.Pool,
    site_id: uuid.UUID,
    *,
    name: str = "",
    box_public_key: bytes | None = None,
    signing_public_key: bytes | None = None,
) -> tuple[uuid.UUID, str]:
    """Create an appliance on a live site; returns its id and its API key (stored only as a hash)."""
    api_key = new_secret(APPLIANCE_KEY_PREFIX)
    row = await pool.fetchrow(
        sql("serving/appliance_insert"), site_id, name, hash_secret(api_key), box_public_key, signing_public_key
    )
    if row is None:
        raise NotFound("site", site_id)
    return row["id"], api_key


async def list_appliances(pool: asyncpg.Pool, site_id: uuid.UUID) -> list[dict[str, Any]]:
    """A site's appliances, revoked ones included (marked)."""
    await get_site(pool, site_id)
    return [_public(r) for r in await pool.fetch(sql("serving/appliance_list"), site_id)]


async def revoke_appliance(pool: asyncpg.Pool, site_id: uuid.UUID, appliance_id: uuid.UUID) -> dict[str, Any]:
    """Revoke an appliance: its key stops working at once. Revoking twice is harmless."""
    await get_site(pool, site_id)
    row = await pool.fetchrow(sql("serving/appliance_revoke"), site_id, appliance_id)
    if row is None:
        raise NotFound("appliance", appliance_id)
    return _public(row)


async def set_keys(
    pool: asyncpg.Pool,
    appliance: ApplianceIdentity,
    *,
    box_public_key: bytes | None,
    signing_public_key: bytes | None,
) -> dict[str, Any]:
    """Register the appliance's public keys; a new box key drops credentials sealed to the old one."""
    if box_public_key is None and signing_public_key is None:
        raise Conflict("give box_public_key, signing_public_key or both")
    async with pool.acquire() as conn, conn.transaction():
        if box_public_key is not None and appliance.box_public_key not in (None, box_public_key):
            # Sealed boxes for the old key can never be opened again; keeping them would only
            # hand the appliance ciphertext it cannot read.
            await conn.execute(sql("serving/sealed_delete_for_appliance"), appliance.id)
        row = await conn.fetchrow(sql("serving/appliance_set_keys"), appliance.id, box_public_key, signing_public_key)
    return _public(row)
