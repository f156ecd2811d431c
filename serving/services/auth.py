"""Who is calling: appliances by API key, people by role token; and what each may reach.

Every HTTP route and the gRPC servicer ask these functions, so one place decides access.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg

from serving.errors import Forbidden, NotFound, Unauthorized
from serving.security import APPLIANCE_KEY_PREFIX, TOKEN_PREFIX, hash_secret, new_secret, same_hash
from warehouse.rows import _uid
from warehouse.sql_files import sql


class Role(StrEnum):
    """What a person's token allows."""

    ADMIN = "admin"  # everything
    PARTNER = "partner"  # read and write its own sites only
    AUDITOR = "auditor"  # read everything, change nothing


def _safe_role(value: Any) -> Role | None:
    """A role from the database; an unknown one grants nothing (fail closed) instead of crashing."""
    try:
        return Role(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class ApplianceIdentity:
    """An authenticated appliance: its id, its site, and the public keys it registered."""

    id: uuid.UUID
    site_id: uuid.UUID
    name: str = ""
    box_public_key: bytes | None = None
    signing_public_key: bytes | None = None


@dataclass(frozen=True)
class User:
    """An authenticated person (or script) holding a role token."""

    token_id: uuid.UUID
    role: Role
    site_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        """How orders and audit rows name this caller."""
        return f"{self.role.value}:{self.token_id}"

    def sites_filter(self) -> list[uuid.UUID] | None:
        """None for every site, else the only sites this caller may see."""
        return sorted(self.site_ids) if self.role is Role.PARTNER else None

    def check_read(self, site_id: uuid.UUID) -> None:
        """Raise Forbidden unless this caller may read the site."""
        if self.role is Role.PARTNER and site_id not in self.site_ids:
            raise Forbidden(f"site {site_id} is not one of this partner's sites")

    def check_write(self, site_id: uuid.UUID | None) -> None:
        """Raise Forbidden unless this caller may change the site (None: fleet-wide, admins only)."""
        if self.role is Role.ADMIN:
            return
        if self.role is Role.AUDITOR:
            raise Forbidden("auditor tokens are read-only")
        if site_id is None or site_id not in self.site_ids:
            raise Forbidden(f"site {site_id} is not one of this partner's sites")


Principal = ApplianceIdentity | User


def _identity(row: asyncpg.Record) -> ApplianceIdentity:
    if row["revoked"]:
        raise Forbidden(f"appliance {row['id']} is revoked")
    if row["site_deleted"]:
        raise Forbidden(f"appliance {row['id']} belongs to a deleted site")
    return ApplianceIdentity(
        id=row["id"],
        site_id=row["site_id"],
        name=row["name"],
        box_public_key=row["box_public_key"],
        signing_public_key=row["signing_public_key"],
    )


async def authenticate(pool: asyncpg.Pool, secret: str) -> Principal:
    """The appliance or person a bearer secret belongs to; Unauthorized if nobody issued it."""
    digest = hash_secret(secret)
    if secret.startswith(APPLIANCE_KEY_PREFIX):
        row = await pool.fetchrow(sql("serving/appliance_by_key"), digest)
        if row is None:
            raise Unauthorized("unknown appliance API key")
        return _identity(row)
    if secret.startswith(TOKEN_PREFIX):
        row = await pool.fetchrow(sql("serving/token_by_hash"), digest)
        # The lookup is by hash; comparing again in constant time costs nothing and keeps the
        # check honest if the lookup ever changes to a prefix index.
        if row is None or not same_hash(row["token_hash"], digest):
            raise Unauthorized("unknown or revoked token")
        role = _safe_role(row["role"])
        if role is None:
            raise Forbidden(f"token {row['id']} has a role this server does not know")
        return User(token_id=row["id"], role=role, site_ids=frozenset(row["site_ids"] or ()))
    raise Unauthorized("credential is neither an appliance key nor a role token")


async def appliance_by_id(pool: asyncpg.Pool, appliance_id: uuid.UUID | str) -> ApplianceIdentity:
    """A live appliance by id (the gRPC servicer maps a client certificate to it)."""
    aid = _uid(appliance_id, "appliance_id")
    row = await pool.fetchrow(sql("serving/appliance_by_id"), aid)
    if row is None:
        raise NotFound("appliance", aid)
    return _identity(row)


async def create_token(
    pool: asyncpg.Pool | asyncpg.Connection, role: Role, site_ids: list[uuid.UUID], name: str = ""
) -> tuple[dict[str, Any], str]:
    """Issue a role token; returns its record and the secret, which is shown once and never stored."""
    secret = new_secret(TOKEN_PREFIX)
    row = await pool.fetchrow(sql("serving/token_insert"), role.value, site_ids, name, hash_secret(secret))
    return dict(row), secret
