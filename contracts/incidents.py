"""Incidents, check results, L2 decisions and healing outcomes, and the pattern signature.

An incident is what a drift check found on one target. Rules match on its flat facts
(`check_type`, `platform`, `severity`, `details.<key>`); the pattern signature names the *kind*
of drift and never the place, so the flywheel can count the same drift across sites.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONFIDENCE_THRESHOLD = 0.7
"""Below this an L2 decision needs a human before anything runs."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh random event id (UUID4 text); events are idempotent by it."""
    return str(uuid.uuid4())


class Severity(StrEnum):
    """How urgent a drift is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def _safe_severity(value: Any) -> Severity:
    """A severity from a database or a peer; unknown values fall back to medium instead of failing."""
    try:
        return Severity(str(value).lower())
    except ValueError:
        return Severity.MEDIUM


class CheckStatus(StrEnum):
    """Three-state check results, plus error when the check itself could not run."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Tier(StrEnum):
    """Which tier resolved an incident."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class OutcomeStatus(StrEnum):
    """What a heal achieved, judged by re-running the check (closed loop)."""

    HEALED = "healed"  # the check passes again after the runbook ran
    FAILED = "failed"  # the runbook failed or the check still fails
    ESCALATED = "escalated"  # handed to a human (L3)
    SUPPRESSED = "suppressed"  # a suppress rule or flap suppression held it
    PLANNED = "planned"  # dry run: what would have run


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=False)


class CheckResult(_Model):
    """One run of one drift check on one target."""

    event_id: str = Field(default_factory=new_id)
    site_id: str
    appliance_id: str | None = None
    host: str
    check_type: str
    platform: str
    status: CheckStatus
    details: dict[str, Any] = Field(default_factory=dict)
    hipaa_controls: list[str] = Field(default_factory=list)
    observed_at: datetime = Field(default_factory=utcnow)


class Incident(_Model):
    """A failed check turned into work for the healing tiers."""

    incident_id: str = Field(default_factory=new_id)
    site_id: str
    appliance_id: str | None = None
    host: str
    check_type: str
    platform: str
    severity: Severity = Severity.MEDIUM
    details: dict[str, Any] = Field(default_factory=dict)
    hipaa_controls: list[str] = Field(default_factory=list)
    observed_at: datetime = Field(default_factory=utcnow)
    pattern_signature: str = ""

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Severity:
        return _safe_severity(value)

    @model_validator(mode="after")
    def _signature(self) -> Incident:
        if not self.pattern_signature:
            self.pattern_signature = pattern_signature(self.facts())
        return self

    def facts(self) -> dict[str, Any]:
        """The flat-and-nested mapping L1 rules evaluate (`details.profile` is a dotted path)."""
        return {
            "incident_id": self.incident_id,
            "site_id": self.site_id,
            "host": self.host,
            "check_type": self.check_type,
            "platform": self.platform,
            "severity": self.severity.value,
            "details": self.details,
        }


class L2Decision(_Model):
    """What the L2 planner chose for an incident, with how sure it was."""

    decision_id: str = Field(default_factory=new_id)
    incident_id: str
    site_id: str
    runbook_id: str | None
    reasoning: str = ""
    confidence: float = Field(ge=0.0, le=1.0)
    requires_human_review: bool = False
    pattern_signature: str
    provider: str = "unknown"
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    guardrails: dict[str, Any] = Field(default_factory=dict)
    decided_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _review(self) -> L2Decision:
        # A low-confidence or runbook-less answer always goes to a human, whatever the planner said.
        if self.confidence < CONFIDENCE_THRESHOLD or self.runbook_id is None:
            self.requires_human_review = True
        return self


class HealingOutcome(_Model):
    """The verified result of handling one incident."""

    event_id: str = Field(default_factory=new_id)
    incident_id: str
    site_id: str
    host: str = ""
    tier: Tier
    status: OutcomeStatus
    runbook_id: str | None = None
    rule_id: str | None = None
    decision_id: str | None = None
    pattern_signature: str
    duration_ms: float = 0.0
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    finished_at: datetime = Field(default_factory=utcnow)

    @property
    def success(self) -> bool:
        """True only when the closed-loop re-check passed."""
        return self.status is OutcomeStatus.HEALED


# --- pattern signature ---------------------------------------------------------------------------

# Detail keys that say who, where or when, never what kind of drift: left out of the signature.
_VOLATILE_KEYS = re.compile(
    r"(host|hostname|fqdn|ip|ip_address|address|addr|mac|site|appliance|device|user|username|owner|"
    r"path|time|timestamp|date|at|ts|seen|count|counter|attempts|duration|pid|port|id|uuid|guid|"
    r"serial|sid|message|msg|text|raw|output|stdout|stderr|error|value_observed|observed|last_\w+)$",
    re.IGNORECASE,
)
_VOLATILE_SUFFIXES = ("_id", "_at", "_ts", "_time", "_count", "_ip", "_host", "_path", "_seconds", "_ms")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}(/\d+)?$")
_IPV6 = re.compile(r"^[0-9a-fA-F:]+:[0-9a-fA-F:]*$")
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_MAX_CATEGORICAL_LEN = 64


def _is_volatile_key(key: str) -> bool:
    k = key.lower()
    return bool(_VOLATILE_KEYS.fullmatch(k)) or k.endswith(_VOLATILE_SUFFIXES)


def _categorical(value: Any) -> Any | None:
    """The value if it is a categorical fact of the drift, else None (numbers, addresses, times)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip()
        if not v or len(v) > _MAX_CATEGORICAL_LEN:
            return None
        if _IPV4.match(v) or _IPV6.match(v) or _NUMERIC.match(v) or _TIMESTAMP.match(v):
            return None
        return v.lower()
    if isinstance(value, list):
        items = [_categorical(v) for v in value]
        kept = sorted({json.dumps(i, sort_keys=True) for i in items if i is not None})
        return kept or None
    # Numbers are measurements (counts, ages, sizes): they vary between occurrences of one drift.
    return None


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            if _is_volatile_key(str(key)):
                continue
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
        return
    cat = _categorical(value)
    if cat is not None:
        out[prefix] = cat


def signature_facts(incident: dict[str, Any] | Incident) -> dict[str, Any]:
    """The facts a pattern signature is computed from: check type, platform, categorical details."""
    facts = incident.facts() if isinstance(incident, Incident) else incident
    out: dict[str, Any] = {
        "check_type": str(facts.get("check_type", "")).lower(),
        "platform": str(facts.get("platform", "")).lower(),
    }
    details = facts.get("details") or {}
    if isinstance(details, dict):
        _flatten("details", details, out)
    return out


def pattern_signature(incident: dict[str, Any] | Incident) -> str:
    """A short stable hash of the kind of drift (16 hex chars); equal for equal drift on any site."""
    canonical = json.dumps(signature_facts(incident), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
