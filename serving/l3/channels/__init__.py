"""One interface for every L3 channel: `await channel.send(notice) -> Attempt`, which never raises.

A notice is what people must learn (an escalation triggered, resolved, or followed up); an attempt
is what one delivery try did. Channels translate their transport's failures into an Attempt in one
place each, marking which are worth retrying (timeouts, 429, 5xx, SMTP 4xx) and carrying the
server's Retry-After, so the retry loop in `serving.l3.delivery` knows nothing about HTTP or SMTP.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from contracts.incidents import Severity

Action = Literal["trigger", "resolve", "followup"]


@dataclass(frozen=True)
class Notice:
    """An escalation as channels render it; `dedup_key` is the same on every channel (the incident id)."""

    action: Action
    dedup_key: str
    escalation_id: str
    site_id: str
    site_name: str
    incident_id: str
    host: str
    check_type: str
    severity: Severity
    reason: str
    requested_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    hipaa_controls: list[str] = field(default_factory=list)
    occurrences: int = 1
    resolution: str = ""
    link: str | None = None
    test: bool = False


@dataclass
class Attempt:
    """What one delivery try did: accepted or not, worth retrying or not, what the receiver said."""

    channel: str
    ok: bool
    retryable: bool = False
    status_code: int | None = None
    response: str = ""
    error: str | None = None
    retry_after: float | None = None
    latency_ms: float = 0.0
    attempt: int = 1

    def summary(self) -> dict[str, Any]:
        """A JSON-ready view (what `osiris escalate test` prints)."""
        return {"channel": self.channel, "ok": self.ok, "attempt": self.attempt, "status_code": self.status_code,
                "response": self.response, "error": self.error, "retry_after": self.retry_after,
                "latency_ms": round(self.latency_ms, 1)}


class Channel(abc.ABC):
    """A place escalations go: Slack, PagerDuty, email, Teams."""

    name: ClassVar[str]

    @abc.abstractmethod
    async def send(self, notice: Notice) -> Attempt:
        """Deliver one notice once; failures come back as an Attempt, never as an exception."""

    async def close(self) -> None:  # noqa: B027 - most channels hold nothing to release
        """Release connections."""


MAX_RESPONSE = 500
"""How much of a receiver's answer is kept with an attempt."""


def clip(text: str) -> str:
    """A receiver's answer, shortened for storage."""
    return text if len(text) <= MAX_RESPONSE else text[: MAX_RESPONSE - 1] + "…"
