"""Sites and their devices."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from serving.errors import Conflict, NotFound
from warehouse.rows import _row_dict, _rows_list
from warehouse.sql_files import sql


async def create_site(pool: asyncpg.Pool, *, name: str, timezone: str = "UTC", notes: str = "") -> dict[str, Any]:
    """Create a site; returns it."""
    return _row_dict(await pool.fetchrow(sql("serving/site_insert"), name, timezone, notes))


async def list_sites(pool: asyncpg.Pool, site_ids: list[uuid.UUID] | None = None) -> list[dict[str, Any]]:
    """Live sites; `site_ids` narrows to those (a partner's), None lists all."""
    return _rows_list(await pool.fetch(sql("serving/site_list"), site_ids))


async def get_site(conn: asyncpg.Pool | asyncpg.Connection, site_id: uuid.UUID) -> dict[str, Any]:
    """One live site, or NotFound naming the id."""
    row = await conn.fetchrow(sql("serving/site_get"), site_id)
    if row is None:
        raise NotFound("site", site_id)
    return _row_dict(row)


async def update_site(pool: asyncpg.Pool, site_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """Change the given fields (name, timezone, notes); None keeps a value."""
    row = await pool.fetchrow(
        sql("serving/site_update"), site_id, fields.get("name"), fields.get("timezone"), fields.get("notes")
    )
    if row is None:
        raise NotFound("site", site_id)
    return _row_dict(row)


async def delete_site(pool: asyncpg.Pool, site_id: uuid.UUID) -> int:
    """Retire a site and revoke its appliances; returns how many appliances were revoked."""
    row = await pool.fetchrow(sql("serving/site_delete"), site_id)
    if row["id"] is None:
        raise NotFound("site", site_id)
    return int(row["appliances_revoked"])


async def add_manual_device(pool: asyncpg.Pool, site_id: uuid.UUID, **device: Any) -> dict[str, Any]:
    """Record a device entered by hand; Conflict when the site already has that hostname."""
    async with pool.acquire() as conn, conn.transaction():
        await get_site(conn, site_id)
        row = await conn.fetchrow(
            sql("serving/device_insert_manual"),
            site_id,
            device["hostname"],
            device.get("ip"),
            device.get("mac"),
            device.get("os"),
            device.get("device_type"),
            bool(device.get("domain_joined", False)),
            device.get("notes", ""),
        )
    if row is None:
        raise Conflict(f"site {site_id} already has a device named {device['hostname']!r}")
    return _row_dict(row)


async def list_devices(pool: asyncpg.Pool, site_id: uuid.UUID) -> list[dict[str, Any]]:
    """A site's devices."""
    await get_site(pool, site_id)
    return _rows_list(await pool.fetch(sql("serving/device_list"), site_id))
