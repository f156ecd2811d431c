"""gRPC enrollment: one-time tokens, agent certificates from the internal CA, and who a certificate is.

An admin creates a token for a site (optionally for one of its appliances). `Register` spends it with
a CSR: the appliance is created when the token names none, the certificate is signed and recorded,
and any earlier certificate of that appliance is revoked. `renew` issues a new certificate to a
caller already holding a valid one. `certificate_identity` runs on every gRPC call: a revoked
appliance, or a revoked or long-superseded certificate, is refused at once (nothing is cached).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from cryptography import x509

from serving.errors import BadRequest, Forbidden, NotFound, Unauthorized
from serving.pki.ca import AGENT_DAYS, CertificateAuthority, fingerprint, parse_csr
from serving.security import hash_secret, new_secret
from serving.services.appliances import provision_appliance
from serving.services.auth import ApplianceIdentity, appliance_by_id
from serving.services.sites import get_site
from warehouse.rows import _row_dict, _rows_list
from warehouse.sql_files import sql

ENROLLMENT_TOKEN_PREFIX = "ose_"
"""Enrollment tokens start with this (API keys `osa_`, role tokens `ost_`)."""
MAX_TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True)
class Issued:
    """A signed agent certificate and what it was issued to."""

    appliance_id: uuid.UUID
    site_id: uuid.UUID
    certificate: x509.Certificate
    api_key: str | None = None
    """Set only when enrollment created the appliance: its HTTP API key, shown once."""


async def create_token(
    pool: asyncpg.Pool,
    site_id: uuid.UUID,
    *,
    appliance_id: uuid.UUID | None = None,
    name: str = "",
    ttl: timedelta = timedelta(days=1),
    created_by: str = "",
) -> tuple[dict[str, Any], str]:
    """Issue a one-time enrollment token; returns its record and the secret (shown once, stored hashed)."""
    if not timedelta(0) < ttl <= MAX_TOKEN_TTL:
        raise BadRequest(f"token lifetime must be between 1 second and {MAX_TOKEN_TTL.days} days")
    await get_site(pool, site_id)
    secret = new_secret(ENROLLMENT_TOKEN_PREFIX)
    row = await pool.fetchrow(
        sql("serving/grpc/token_insert"),
        site_id, appliance_id, name, hash_secret(secret), created_by, ttl.total_seconds(),
    )
    if row is None:
        # The site was checked above, so the appliance is the missing (or revoked) part.
        raise NotFound("appliance", appliance_id)
    return _row_dict(row), secret


async def list_tokens(pool: asyncpg.Pool, site_id: uuid.UUID, limit: int = 200) -> list[dict[str, Any]]:
    """A site's enrollment tokens, newest first, without their secrets."""
    await get_site(pool, site_id)
    return _rows_list(await pool.fetch(sql("serving/grpc/token_list"), site_id, limit))


async def revoke_token(pool: asyncpg.Pool, site_id: uuid.UUID, token_id: uuid.UUID) -> dict[str, Any]:
    """Withdraw a token (it expires now); withdrawing twice or after use is harmless."""
    row = await pool.fetchrow(sql("serving/grpc/token_revoke"), site_id, token_id)
    if row is None:
        raise NotFound("enrollment token", token_id)
    return _row_dict(row)


async def _spend(conn: asyncpg.Connection, token: str) -> asyncpg.Record:
    if not token.startswith(ENROLLMENT_TOKEN_PREFIX):
        raise Unauthorized("enrollment token is missing or malformed")
    digest = hash_secret(token)
    row = await conn.fetchrow(sql("serving/grpc/token_spend"), digest)
    if row is not None:
        return row
    why = await conn.fetchrow(sql("serving/grpc/token_why"), digest)
    if why is None:
        raise Unauthorized("unknown enrollment token")
    if why["used"]:
        raise Unauthorized("enrollment token was already used")
    if why["expired"]:
        raise Unauthorized("enrollment token has expired")
    raise Unauthorized("enrollment token belongs to a deleted site")


async def _record(
    conn: asyncpg.Connection, cert: x509.Certificate, appliance_id: uuid.UUID,
    *, token_id: uuid.UUID | None = None, renewed_from: str | None = None,
) -> None:
    await conn.fetchval(
        sql("serving/grpc/cert_insert"),
        fingerprint(cert), format(cert.serial_number, "x"), appliance_id,
        cert.not_valid_before_utc, cert.not_valid_after_utc, token_id, renewed_from,
    )


async def enroll(
    pool: asyncpg.Pool,
    ca: CertificateAuthority,
    token: str,
    csr_pem: bytes,
    *,
    hostname: str = "",
    days: int = AGENT_DAYS,
) -> Issued:
    """Spend `token` and sign the CSR; a bad CSR is refused before the token is spent."""
    csr = parse_csr(csr_pem)
    async with pool.acquire() as conn, conn.transaction():
        row = await _spend(conn, token)
        api_key = None
        if row["appliance_id"] is None:
            appliance_id, api_key = await provision_appliance(
                conn, row["site_id"], name=row["name"] or hostname[:253]
            )
        else:
            appliance_id = (await appliance_by_id(conn, row["appliance_id"])).id
        await conn.execute(sql("serving/grpc/token_mark_used_by"), row["id"], appliance_id)
        cert = ca.issue_agent(csr, appliance_id, days=days)
        await _record(conn, cert, appliance_id, token_id=row["id"])
        # Enrolling again means the old key may be lost or stolen: its certificates end now.
        await conn.execute(sql("serving/grpc/cert_revoke_others"), appliance_id, fingerprint(cert))
    return Issued(appliance_id, row["site_id"], cert, api_key)


async def renew(
    pool: asyncpg.Pool,
    ca: CertificateAuthority,
    appliance: ApplianceIdentity,
    current_fingerprint: str,
    csr_pem: bytes,
    *,
    days: int = AGENT_DAYS,
) -> Issued:
    """A new certificate for a caller holding a valid one; the old one is superseded (grace applies)."""
    csr = parse_csr(csr_pem)
    cert = ca.issue_agent(csr, appliance.id, days=days)
    async with pool.acquire() as conn, conn.transaction():
        await _record(conn, cert, appliance.id, renewed_from=current_fingerprint)
        await conn.execute(sql("serving/grpc/cert_supersede_others"), appliance.id, fingerprint(cert))
    return Issued(appliance.id, appliance.site_id, cert)


async def certificate_identity(
    pool: asyncpg.Pool, appliance_id: uuid.UUID, cert_fingerprint: str, *, grace: timedelta
) -> tuple[ApplianceIdentity, datetime]:
    """The live appliance a presented certificate belongs to, and when that certificate expires.

    Forbidden when the appliance is revoked or its site deleted, or the certificate was revoked or
    replaced more than `grace` ago; Unauthorized when this CA never recorded the certificate.
    """
    async with pool.acquire() as conn:
        status = await conn.fetchrow(sql("serving/grpc/cert_status"), cert_fingerprint, grace.total_seconds())
        if status is None or status["appliance_id"] != appliance_id:
            raise Unauthorized("client certificate was not issued by this server's enrollment")
        try:
            appliance = await appliance_by_id(conn, appliance_id)
        except NotFound:
            raise Unauthorized(f"client certificate names unknown appliance {appliance_id}") from None
    if status["revoked"]:
        raise Forbidden("client certificate was revoked (the appliance enrolled again)")
    if status["replaced"]:
        raise Forbidden("client certificate was replaced by a renewal; use the new certificate")
    return appliance, status["not_after"]
