"""Request and response bodies appliances and Central Command exchange over HTTP.

Both sides import these models, so a field renamed on one side fails the other side's tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.incidents import Incident


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckinRequest(_Model):
    """`POST /api/appliances/checkin`: who is calling and what it holds."""

    hostname: str = Field(max_length=253)
    agent_version: str = Field(max_length=64)
    platform: str = Field(default="linux", max_length=32)
    bundle_version: int = Field(default=0, ge=0)
    uptime_seconds: float = Field(default=0, ge=0)
    outbox_depth: int = Field(default=0, ge=0)


class SealedTarget(_Model):
    """A target credential sealed (libsodium sealed box) to this appliance's public key."""

    credential_id: str
    host: str
    port: int
    distro: str | None = None
    sealed: str  # base64 of the sealed box holding a JSON object of the secrets


class CheckinResponse(_Model):
    """What the appliance learns at check-in."""

    appliance_id: str
    site_id: str
    server_time: datetime
    bundle_version: int | None
    bundle_digest: str | None
    orders: list[dict[str, Any]] = Field(default_factory=list)  # signed order envelopes, as sent
    targets: list[SealedTarget] = Field(default_factory=list)


class OrderAck(_Model):
    """`POST /api/orders/{order_id}/acknowledge` and `/complete` bodies."""

    status: str = Field(default="acknowledged", pattern=r"^(acknowledged|completed|failed|refused|unsupported)$")
    detail: str = Field(default="", max_length=4000)


class L2PlanRequest(_Model):
    """`POST /api/agent/l2/plan`: a PHI-scrubbed incident, the platform, and what can run there."""

    incident: Incident
    platform: str
    runbooks: list[str] = Field(default_factory=list, max_length=500)
