"""Signed L1 rules bundles: what Central Command serves and every appliance verifies before use.

An appliance accepts a bundle only if a trusted key signed its exact bytes, it has not expired, and
its version is not lower than the one the appliance already holds (no rollback to weaker rules).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import nacl.signing
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.envelope import Keyring, sign_envelope, verify_envelope
from contracts.errors import ExpiredError, MalformedPayloadError, NotYetValidError, VersionRollbackError
from contracts.incidents import utcnow

BUNDLE_PAYLOAD_TYPE = "application/vnd.osiris.rules-bundle+json"
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future `issued_at` may be before a bundle is refused (appliance clocks drift)."""


class RulesBundle(BaseModel):
    """The signed payload: a version, a validity window, and the rules."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    issued_at: datetime
    expires_at: datetime
    rules: list[dict[str, Any]]


def sign_bundle(
    rules: list[dict[str, Any]],
    *,
    version: int,
    signing_key: nacl.signing.SigningKey,
    expires_in: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> bytes:
    """Sign rules into a bundle envelope; returns the envelope's JSON bytes."""
    issued = now or utcnow()
    bundle = RulesBundle(version=version, issued_at=issued, expires_at=issued + expires_in, rules=rules)
    payload = json.dumps(bundle.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()
    return sign_envelope(payload, BUNDLE_PAYLOAD_TYPE, signing_key)


def parse_bundle_payload(payload: bytes) -> RulesBundle:
    """The bundle inside verified payload bytes."""
    try:
        return RulesBundle.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise MalformedPayloadError(f"rules bundle {where}: {first.get('msg')}") from exc


def verify_bundle(
    data: bytes | str,
    keyring: Keyring,
    *,
    min_version: int | None = None,
    now: datetime | None = None,
) -> RulesBundle:
    """Verify signature, validity window and version; returns the bundle or raises an EnvelopeError."""
    bundle = parse_bundle_payload(verify_envelope(data, keyring, BUNDLE_PAYLOAD_TYPE))
    moment = now or utcnow()
    if bundle.expires_at <= moment:
        raise ExpiredError(f"rules bundle v{bundle.version} expired at {bundle.expires_at.isoformat()}")
    if bundle.issued_at > moment + CLOCK_SKEW:
        raise NotYetValidError(f"rules bundle v{bundle.version} issued in the future ({bundle.issued_at})")
    if min_version is not None and bundle.version < min_version:
        raise VersionRollbackError(f"rules bundle v{bundle.version} is below the required v{min_version}")
    return bundle
