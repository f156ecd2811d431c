"""Signed orders from Central Command to appliances, and the per-type allowlists that bound them.

An appliance runs an order only when a trusted key signed it, it is addressed to this appliance
(or the fleet), it has not expired, its nonce is new, and its params fit the type's schema. The
schemas are closed (`extra="forbid"`): a parameter nobody planned for is refused, not ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import nacl.signing
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts.bundles import CLOCK_SKEW
from contracts.envelope import Keyring, sign_envelope, verify_envelope
from contracts.errors import (
    ExpiredError,
    MalformedPayloadError,
    NotYetValidError,
    OrderParamsError,
    ReplayedNonceError,
    WrongTargetError,
)
from contracts.incidents import new_id, utcnow

ORDER_PAYLOAD_TYPE = "application/vnd.osiris.order+json"
DEFAULT_UPDATE_DOMAINS: tuple[str, ...] = ("updates.osiris.local",)
"""Hosts `update_agent` / `update_iso` may download from unless the deployment configures others."""

_HOSTNAME = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})){0,10}$"
_FLAKE_REF = re.compile(
    r"^(github:[\w.-]+/[\w.-]+(/[\w.-]+)?|git\+https://[\w.-]+(/[\w.-]+)+)(\?ref=[\w./-]+)?#[\w.-]+$"
)
_SHA256 = r"^[0-9a-f]{64}$"


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParams(_Params):
    """Order types that take no parameters."""


class RunDriftParams(_Params):
    """Run these drift checks now (all when empty)."""

    check_types: list[str] = Field(default_factory=list, max_length=100)


class RestartAgentParams(_Params):
    """Restart the agent after a delay."""

    delay_seconds: int = Field(default=0, ge=0, le=3600)


class NixosRebuildParams(_Params):
    """Rebuild a NixOS appliance from a pinned flake reference."""

    flake_ref: str

    @field_validator("flake_ref")
    @classmethod
    def _flake(cls, value: str) -> str:
        if not _FLAKE_REF.match(value):
            raise ValueError("flake_ref must look like github:owner/repo#host or git+https://host/path#host")
        return value


class DownloadParams(_Params):
    """Download an agent or ISO image over HTTPS from an allowlisted host, pinned by SHA-256."""

    url: str
    sha256: str = Field(pattern=_SHA256)
    version: str = Field(default="", max_length=64, pattern=r"^[\w.+-]*$")


class ViewLogsParams(_Params):
    """Send the last lines of the agent log."""

    lines: int = Field(default=200, ge=1, le=5000)


class DiagnosticParams(_Params):
    """Collect a diagnostic report."""

    kind: Literal["network", "disk", "services", "all"] = "all"


class SensorParams(_Params):
    """Deploy, remove or query a sensor on one host."""

    hostname: str = Field(pattern=_HOSTNAME)


class UpdateCredentialsParams(_Params):
    """Fetch the sealed credential with this id at the next check-in."""

    credential_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")


class ExecuteRunbookParams(_Params):
    """Run one catalog runbook against one target."""

    runbook_id: str = Field(pattern=r"^RB-[A-Z0-9-]{1,60}$")
    target: str = Field(pattern=_HOSTNAME)
    params: dict[str, Any] = Field(default_factory=dict)


class SyncPromotedRuleParams(_Params):
    """Install one promoted L1 rule ahead of the next bundle."""

    rule: dict[str, Any]


PARAMS_BY_TYPE: dict[str, type[_Params]] = {
    "force_checkin": NoParams,
    "run_drift": RunDriftParams,
    "sync_rules": NoParams,
    "restart_agent": RestartAgentParams,
    "nixos_rebuild": NixosRebuildParams,
    "update_agent": DownloadParams,
    "update_iso": DownloadParams,
    "view_logs": ViewLogsParams,
    "diagnostic": DiagnosticParams,
    "deploy_sensor": SensorParams,
    "remove_sensor": SensorParams,
    "deploy_linux_sensor": SensorParams,
    "remove_linux_sensor": SensorParams,
    "sensor_status": NoParams,
    "update_credentials": UpdateCredentialsParams,
    "execute_runbook": ExecuteRunbookParams,
    "sync_promoted_rule": SyncPromotedRuleParams,
}
ORDER_TYPES: tuple[str, ...] = tuple(PARAMS_BY_TYPE)
PROMOTED_RULE_ACTIONS = frozenset({"execute_runbook", "escalate"})
"""A pushed rule may heal or escalate; `suppress` would hide drift, so it only arrives in a bundle."""


@dataclass(frozen=True)
class OrderPolicy:
    """Deployment-specific limits on order params."""

    update_domains: Collection[str] = DEFAULT_UPDATE_DOMAINS


class Order(BaseModel):
    """The signed payload of an order."""

    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(default_factory=new_id)
    nonce: str = Field(min_length=16, max_length=128)
    type: str
    target_appliance_id: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    issued_at: datetime
    expires_at: datetime


def check_params(order_type: str, params: dict[str, Any], policy: OrderPolicy = OrderPolicy()) -> dict:
    """Validate params against the type's allowlist; returns the normalised params or raises."""
    model = PARAMS_BY_TYPE.get(order_type)
    if model is None:
        raise OrderParamsError(f"unknown order type {order_type!r}")
    try:
        parsed = model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "params"
        raise OrderParamsError(f"{order_type} params.{where}: {first.get('msg')}") from exc
    if isinstance(parsed, DownloadParams):
        url = urlsplit(parsed.url)
        if url.scheme != "https" or url.hostname not in set(policy.update_domains) or url.username:
            raise OrderParamsError(f"{order_type} url must be https on an allowed host, got {parsed.url!r}")
    if isinstance(parsed, SyncPromotedRuleParams):
        _check_promoted_rule(parsed.rule)
    return parsed.model_dump()


def _check_promoted_rule(rule: dict[str, Any]) -> None:
    from contracts.errors import RuleSetError
    from contracts.rules import load_rules  # local import: rules is the larger module

    try:
        load_rules([rule])
    except RuleSetError as exc:
        raise OrderParamsError(f"sync_promoted_rule rule is invalid: {exc}") from exc
    if rule.get("action") not in PROMOTED_RULE_ACTIONS:
        raise OrderParamsError(f"sync_promoted_rule action {rule.get('action')!r} is not allowed")


def sign_order(
    order_type: str,
    params: dict[str, Any],
    *,
    signing_key: nacl.signing.SigningKey,
    target_appliance_id: str | None,
    ttl: timedelta = timedelta(hours=1),
    nonce: str | None = None,
    order_id: str | None = None,
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
) -> tuple[Order, bytes]:
    """Build, check and sign an order; returns the order and its envelope bytes."""
    import secrets

    issued = now or utcnow()
    order = Order(
        order_id=order_id or new_id(),
        nonce=nonce or secrets.token_hex(16),
        type=order_type,
        target_appliance_id=target_appliance_id,
        params=check_params(order_type, params, policy),
        issued_at=issued,
        expires_at=issued + ttl,
    )
    payload = json.dumps(order.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    return order, sign_envelope(payload, ORDER_PAYLOAD_TYPE, signing_key)


def verify_order(
    data: bytes | str | dict,
    keyring: Keyring,
    *,
    appliance_id: str,
    nonce_seen: Callable[[str], bool],
    now: datetime | None = None,
    policy: OrderPolicy = OrderPolicy(),
) -> Order:
    """Every check an appliance makes before running an order; raises the matching EnvelopeError."""
    payload = verify_envelope(data, keyring, ORDER_PAYLOAD_TYPE)
    try:
        order = Order.model_validate_json(payload)
    except ValidationError as exc:
        raise MalformedPayloadError(f"order payload: {exc.errors()[0].get('msg')}") from exc
    if order.target_appliance_id is not None and order.target_appliance_id != appliance_id:
        raise WrongTargetError(f"order {order.order_id} is for appliance {order.target_appliance_id}")
    moment = now or utcnow()
    if order.expires_at <= moment:
        raise ExpiredError(f"order {order.order_id} expired at {order.expires_at.isoformat()}")
    if order.issued_at > moment + CLOCK_SKEW:
        raise NotYetValidError(f"order {order.order_id} issued in the future")
    if nonce_seen(order.nonce):
        raise ReplayedNonceError(f"order {order.order_id} nonce already seen (replay)")
    order.params = check_params(order.type, order.params, policy)
    return order
