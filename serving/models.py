"""HTTP bodies of the people-facing routes, split by direction (`SiteCreate` in, `SitePublic` out).

The appliance-facing bodies are in `contracts.api` and `contracts.telemetry`, shared with the agent.
Inputs forbid unknown fields: a typo in a field name is a 400, not a silently ignored setting.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_HOST = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$"
_MAC = r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


# --- errors ----------------------------------------------------------------------------------------


class ErrorItem(BaseModel):
    """One thing wrong with a malformed request: where, and why (never the value: it may be a secret)."""

    loc: list[str]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer (`serving.api.handlers`): a one-line reason, or the fields a malformed request got wrong."""

    detail: str | list[ErrorItem]


# --- sites and devices ---------------------------------------------------------------------------


class SiteCreate(_In):
    """`POST /api/sites`."""

    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    notes: str = Field(default="", max_length=4000)

    _tz = field_validator("timezone")(_timezone)


class SiteUpdate(_In):
    """`PATCH /api/sites/{site_id}`: only the fields given change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, max_length=4000)

    _tz = field_validator("timezone")(_timezone)


class SitePublic(_Out):
    """A site as the API shows it."""

    id: str
    name: str
    timezone: str
    notes: str
    created_at: datetime
    updated_at: datetime


class DeviceCreate(_In):
    """`POST /api/sites/{site_id}/devices/manual`: a device the scanner cannot vouch for."""

    hostname: str = Field(pattern=_HOST)
    ip: str | None = None
    mac: str | None = Field(default=None, pattern=_MAC)
    os: str | None = Field(default=None, max_length=200)
    device_type: str | None = Field(default=None, max_length=64)
    domain_joined: bool = False
    notes: str = Field(default="", max_length=4000)

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        return None if value is None else str(ipaddress.ip_address(value))


class DevicePublic(_Out):
    """A device as the API shows it."""

    id: str
    site_id: str
    hostname: str
    ip: str | None
    mac: str | None
    os: str | None
    device_type: str | None
    source: str
    domain_joined: bool
    notes: str
    first_seen_at: datetime
    last_seen_at: datetime


# --- appliances ----------------------------------------------------------------------------------


class ApplianceKeys(_In):
    """The appliance's own public keys, base64 of 32 bytes each."""

    box_public_key: str | None = Field(default=None, max_length=64, description="X25519, for sealed credentials")
    signing_public_key: str | None = Field(default=None, max_length=64, description="Ed25519, for evidence")


class ApplianceCreate(ApplianceKeys):
    """`POST /api/sites/{site_id}/appliances`."""

    name: str = Field(default="", max_length=200)


class AppliancePublic(_Out):
    """An appliance as the API shows it (never its key)."""

    id: str
    site_id: str
    name: str
    hostname: str | None
    agent_version: str | None
    platform: str | None
    bundle_version: int | None
    box_public_key: str | None
    signing_public_key: str | None
    cert_fingerprint: str | None
    last_checkin_at: datetime | None
    revoked: bool
    revoked_at: datetime | None
    created_at: datetime


class ApplianceProvisioned(BaseModel):
    """The provisioning answer: the API key appears here once and never again."""

    appliance_id: str
    site_id: str
    api_key: str
    signing_public_key: str = Field(description="the server's Ed25519 public key file text (orders, bundles)")
    signing_key_id: str


# --- credentials ---------------------------------------------------------------------------------


class CredentialCreate(_In):
    """`POST /api/sites/{site_id}/credentials`: sealed at once, the plaintext is never stored."""

    host: str = Field(pattern=_HOST)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=256)
    password: str | None = Field(default=None, max_length=4096)
    private_key: str | None = Field(default=None, max_length=65536)
    distro: str | None = Field(default=None, max_length=64)
    sudo_password: str | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _one_secret(self) -> CredentialCreate:
        if (self.password is None) == (self.private_key is None):
            raise ValueError("give exactly one of password or private_key")
        return self


class CredentialPublic(_Out):
    """A credential without its secrets: which appliances hold it sealed."""

    id: str
    site_id: str
    host: str
    port: int
    username: str
    distro: str | None
    auth_kind: str
    has_sudo_password: bool
    sealed_for: list[str]
    created_at: datetime


# --- orders and bundles --------------------------------------------------------------------------


class OrderCreate(_In):
    """`POST /api/orders`: one order for one appliance."""

    appliance_id: str
    type: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    ttl_seconds: int | None = Field(default=None, ge=1, le=30 * 86400)


class FleetOrderCreate(_In):
    """`POST /api/orders/fleet`: one order per live appliance of the given sites (admins: all sites)."""

    type: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    site_ids: list[str] | None = Field(default=None, max_length=10_000)
    ttl_seconds: int | None = Field(default=None, ge=1, le=30 * 86400)


class OrderPublic(_Out):
    """An order and where it is in its life."""

    id: str
    site_id: str
    appliance_id: str
    fleet_id: str | None
    kind: str
    type: str
    params: dict[str, Any]
    status: str
    detail: str
    created_by: str
    issued_at: datetime
    expires_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    finished_at: datetime | None
    envelope: dict[str, Any]


class FleetOrderPublic(BaseModel):
    """A fleet order: the group id and the per-appliance orders."""

    fleet_id: str
    orders: list[OrderPublic]


class BundlePublish(_In):
    """`POST /api/bundles`: sign these rules as the next bundle version."""

    rules: list[dict[str, Any]] = Field(max_length=100_000)
    expires_in_days: int | None = Field(default=None, ge=1, le=366)


class BundlePublic(_Out):
    """A published bundle's identity (the envelope itself is `GET /api/agent/sync`)."""

    version: int
    digest: str
    key_id: str
    rule_count: int
    issued_at: datetime
    expires_at: datetime
