"""Enrollment tokens for gRPC (admins): one-time, expiring, handed to an appliance's installer.

The answer carries the secret once, with the CA certificate the appliance must pin when it calls
Register, and the gRPC ports when gRPC is running.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from serving.deps import AdminUser, PoolDep
from serving.grpc.settings import settings_for
from serving.pki.ca import CertificateAuthority, fingerprint
from serving.pki.store import load_or_create_ca
from serving.services import enrollment
from warehouse.rows import _uid

router = APIRouter(tags=["enrollment"])


class EnrollmentTokenCreate(BaseModel):
    """`POST /api/sites/{site_id}/enrollment-tokens`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    appliance_id: str | None = Field(default=None, description="Enroll this existing appliance; omit to create one.")
    name: str = Field(default="", max_length=200, description="Name for the appliance enrollment creates.")
    ttl_seconds: int = Field(default=86400, ge=60, le=int(enrollment.MAX_TOKEN_TTL.total_seconds()))


class EnrollmentTokenPublic(BaseModel):
    """A token as lists show it (never its secret)."""

    id: str
    site_id: str
    appliance_id: str | None
    name: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_appliance_id: str | None


class EnrollmentTokenIssued(EnrollmentTokenPublic):
    """A new token: the secret (shown once), the CA to pin, and where gRPC listens."""

    token: str
    ca_certificate_pem: str
    ca_fingerprint_sha256: str
    grpc_port: int | None = None
    grpc_enroll_port: int | None = None


async def _ca(request: Request) -> CertificateAuthority:
    state = request.app.state
    servers = getattr(state, "grpc", None)
    if servers is not None:
        return servers.ca
    ca = getattr(state, "enrollment_ca", None)
    if ca is None:
        ca = await asyncio.to_thread(load_or_create_ca, settings_for(request.app).ca_path())
        state.enrollment_ca = ca
    return ca


@router.post("/api/sites/{site_id}/enrollment-tokens", status_code=status.HTTP_201_CREATED)
async def create_enrollment_token(
    site_id: str, body: EnrollmentTokenCreate, request: Request, pool: PoolDep, user: AdminUser
) -> EnrollmentTokenIssued:
    """Create a one-time enrollment token for a site (admins); the secret is in this answer only."""
    appliance_id = _uid(body.appliance_id, "appliance_id") if body.appliance_id else None
    record, secret = await enrollment.create_token(
        pool, _uid(site_id, "site_id"), appliance_id=appliance_id, name=body.name,
        ttl=timedelta(seconds=body.ttl_seconds), created_by=user.label,
    )
    ca = await _ca(request)
    servers = getattr(request.app.state, "grpc", None)
    return EnrollmentTokenIssued(
        **record,
        token=secret,
        ca_certificate_pem=ca.pem.decode(),
        ca_fingerprint_sha256=fingerprint(ca.cert),
        grpc_port=servers.port if servers else None,
        grpc_enroll_port=servers.enroll_port if servers else None,
    )


@router.get("/api/sites/{site_id}/enrollment-tokens")
async def list_enrollment_tokens(site_id: str, pool: PoolDep, _: AdminUser) -> list[EnrollmentTokenPublic]:
    """A site's enrollment tokens, newest first, used and expired ones included (admins)."""
    return [EnrollmentTokenPublic(**t) for t in await enrollment.list_tokens(pool, _uid(site_id, "site_id"))]


@router.delete("/api/sites/{site_id}/enrollment-tokens/{token_id}")
async def revoke_enrollment_token(site_id: str, token_id: str, pool: PoolDep, _: AdminUser) -> EnrollmentTokenPublic:
    """Withdraw a token so nobody can enroll with it (admins); harmless when already used or expired."""
    return EnrollmentTokenPublic(
        **await enrollment.revoke_token(pool, _uid(site_id, "site_id"), _uid(token_id, "token_id"))
    )
