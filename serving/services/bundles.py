"""Signed L1 rules bundles: publishing the next version and serving the current one.

The flywheel calls `publish_bundle` after a promotion or demotion; appliances fetch `current` through
`GET /api/agent/sync`, whose ETag is the envelope's digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import nacl.signing

from contracts.bundles import BUNDLE_PAYLOAD_TYPE, parse_bundle_payload, sign_bundle
from contracts.envelope import Keyring, envelope_digest, key_id, verify_envelope
from contracts.errors import RuleSetError
from contracts.rules import load_rules
from serving.errors import BadRequest, NotFound
from warehouse.rows import _row_dict, _rows_list
from warehouse.sql_files import sql


@dataclass(frozen=True)
class Bundle:
    """A published bundle: its version, digest and the exact envelope bytes appliances verify."""

    version: int
    digest: str
    envelope: bytes
    key_id: str
    rule_count: int
    issued_at: datetime
    expires_at: datetime


async def publish_bundle(
    pool: asyncpg.Pool,
    rules: list[dict[str, Any]],
    signing_key: nacl.signing.SigningKey,
    *,
    expires_in: timedelta = timedelta(days=30),
) -> int:
    """Validate and sign `rules` as the next version, store it, and return that version."""
    try:
        load_rules(rules)
    except RuleSetError as exc:
        raise BadRequest(f"rules do not load: {exc}") from exc
    async with pool.acquire() as conn, conn.transaction():
        # One publisher at a time: versions must be strictly increasing without gaps or races.
        await conn.execute(sql("serving/bundle_lock"))
        version = await conn.fetchval(sql("serving/bundle_next_version"))
        envelope = sign_bundle(rules, version=version, signing_key=signing_key, expires_in=expires_in)
        payload = parse_bundle_payload(
            verify_envelope(envelope, Keyring.of(signing_key.verify_key), BUNDLE_PAYLOAD_TYPE)
        )
        await conn.execute(
            sql("serving/bundle_insert"),
            version,
            envelope_digest(envelope),
            envelope,
            key_id(signing_key.verify_key),
            len(rules),
            payload.issued_at,
            payload.expires_at,
        )
    return version


async def current(conn: asyncpg.Pool | asyncpg.Connection) -> Bundle | None:
    """The newest bundle, or None before the first is published."""
    row = await conn.fetchrow(sql("serving/bundle_current"))
    return None if row is None else Bundle(**dict(row))


async def current_digest(conn: asyncpg.Pool | asyncpg.Connection) -> tuple[int, str] | None:
    """The newest bundle's (version, digest) without reading its envelope."""
    row = await conn.fetchrow(sql("serving/bundle_current_digest"))
    return None if row is None else (row["version"], row["digest"])


async def get_bundle(pool: asyncpg.Pool, version: int) -> dict[str, Any]:
    """One published bundle's identity (no envelope), or NotFound."""
    row = await pool.fetchrow(sql("serving/bundle_get"), version)
    if row is None:
        raise NotFound("bundle version", version)
    return _row_dict(row)


async def list_bundles(pool: asyncpg.Pool, limit: int = 100) -> list[dict[str, Any]]:
    """Published bundles, newest first."""
    return _rows_list(await pool.fetch(sql("serving/bundle_list"), limit))
