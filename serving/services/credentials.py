"""Target credentials, sealed at once to each appliance of the site; the plaintext never touches disk.

A libsodium sealed box needs only the recipient's public key to seal and only its private key to
open, so Central Command can hand secrets to appliances without ever being able to read them back.
An appliance that registers its box key later does not get older credentials: nobody can reseal
them without the plaintext, so an admin enters them again (or sends `update_credentials`).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from contracts.api import SealedTarget
from serving.errors import Conflict, NotFound
from serving.security import b64, seal
from serving.services.sites import get_site
from warehouse.rows import _row_dict, _rows_list
from warehouse.sql_files import sql


async def create_credential(
    pool: asyncpg.Pool,
    site_id: uuid.UUID,
    *,
    host: str,
    port: int,
    username: str,
    password: str | None = None,
    private_key: str | None = None,
    distro: str | None = None,
    sudo_password: str | None = None,
) -> dict[str, Any]:
    """Seal a target's secrets to every live appliance of the site holding a box key; returns no secret."""
    secret: dict[str, Any] = {"username": username}
    if password is not None:
        secret["password"] = password
    if private_key is not None:
        secret["private_key"] = private_key
    if sudo_password is not None:
        secret["sudo_password"] = sudo_password
    async with pool.acquire() as conn, conn.transaction():
        await get_site(conn, site_id)
        recipients = await conn.fetch(sql("serving/credential_box_keys"), site_id)
        if not recipients:
            raise Conflict(
                f"site {site_id} has no live appliance with a box public key to seal credentials to; "
                "register one with PUT /api/appliances/me/keys first"
            )
        row = await conn.fetchrow(
            sql("serving/credential_insert"),
            site_id, host, port, username, distro,
            "password" if password is not None else "private_key",
            sudo_password is not None,
        )
        await conn.executemany(
            sql("serving/sealed_insert"),
            [(row["id"], r["id"], seal(r["box_public_key"], secret)) for r in recipients],
        )
    out = _row_dict(row)
    out["sealed_for"] = [str(r["id"]) for r in recipients]
    return out


async def list_credentials(pool: asyncpg.Pool, site_id: uuid.UUID) -> list[dict[str, Any]]:
    """A site's credentials without secrets."""
    await get_site(pool, site_id)
    rows = _rows_list(await pool.fetch(sql("serving/credential_list"), site_id))
    for row in rows:
        row["sealed_for"] = [str(a) for a in row["sealed_for"]]
    return rows


async def delete_credential(pool: asyncpg.Pool, site_id: uuid.UUID, credential_id: uuid.UUID) -> None:
    """Delete a credential and every sealed copy of it."""
    await get_site(pool, site_id)
    if await pool.fetchval(sql("serving/credential_delete"), site_id, credential_id) is None:
        raise NotFound("credential", credential_id)


async def sealed_targets(conn: asyncpg.Pool | asyncpg.Connection, appliance_id: uuid.UUID) -> list[SealedTarget]:
    """The credentials sealed to one appliance, as check-in sends them."""
    rows = await conn.fetch(sql("serving/sealed_targets"), appliance_id)
    return [
        SealedTarget(
            credential_id=str(r["credential_id"]), host=r["host"], port=r["port"], distro=r["distro"],
            sealed=b64(r["sealed"]),
        )
        for r in rows
    ]
