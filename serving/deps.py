"""Dependencies as `Annotated` aliases, so a handler's signature says what it needs and who may call it.

Access is decided here and in `services.auth`, never inside a handler: `ReadUser` for any person,
`WriteUser` for admins and partners, `AdminUser`, `CurrentAppliance` (rate-limited per appliance),
and `ReadableSite` / `WritableSite`, which parse the `{site_id}` path value and check the caller's sites.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
import nacl.signing
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts.orders import OrderPolicy
from serving.errors import Forbidden, RateLimited, Unauthorized
from serving.metrics import Metrics
from serving.services.auth import ApplianceIdentity, Principal, Role, User, authenticate
from serving.settings import Settings
from warehouse.rows import _uid

_bearer = HTTPBearer(auto_error=False, description="An appliance API key (osa_…) or a role token (ost_…).")


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _signing_key(request: Request) -> nacl.signing.SigningKey:
    return request.app.state.signing_key


def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def _policy(request: Request) -> OrderPolicy:
    return OrderPolicy(update_domains=tuple(request.app.state.settings.update_domains))


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
SettingsDep = Annotated[Settings, Depends(_settings)]
SigningKeyDep = Annotated[nacl.signing.SigningKey, Depends(_signing_key)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
PolicyDep = Annotated[OrderPolicy, Depends(_policy)]


async def _principal(
    pool: PoolDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("missing credentials: send Authorization: Bearer <key or token>")
    return await authenticate(pool, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def _appliance(request: Request, principal: PrincipalDep, metrics: MetricsDep) -> ApplianceIdentity:
    if not isinstance(principal, ApplianceIdentity):
        raise Forbidden("this route is for appliances")
    wait = request.app.state.limiter.take(str(principal.id))
    if wait:
        metrics.rate_limited.inc()
        raise RateLimited(wait)
    return principal


async def _read_user(principal: PrincipalDep) -> User:
    if not isinstance(principal, User):
        raise Forbidden("this route is for people holding a role token")
    return principal


async def _write_user(user: Annotated[User, Depends(_read_user)]) -> User:
    if user.role is Role.AUDITOR:
        raise Forbidden("auditor tokens are read-only")
    return user


async def _admin_user(user: Annotated[User, Depends(_read_user)]) -> User:
    if user.role is not Role.ADMIN:
        raise Forbidden("this route needs an admin token")
    return user


CurrentAppliance = Annotated[ApplianceIdentity, Depends(_appliance)]
ReadUser = Annotated[User, Depends(_read_user)]
WriteUser = Annotated[User, Depends(_write_user)]
AdminUser = Annotated[User, Depends(_admin_user)]


async def _readable_site(site_id: str, user: ReadUser) -> uuid.UUID:
    sid = _uid(site_id, "site_id")
    user.check_read(sid)
    return sid


async def _writable_site(site_id: str, user: WriteUser) -> uuid.UUID:
    sid = _uid(site_id, "site_id")
    user.check_write(sid)
    return sid


ReadableSite = Annotated[uuid.UUID, Depends(_readable_site)]
WritableSite = Annotated[uuid.UUID, Depends(_writable_site)]
