"""L3 configuration: the four channels, routing by severity and site, and the retry policy.

Read from `OSIRIS_L3_*` variables. Webhook URLs, the PagerDuty routing key and the SMTP password
are credentials (a Slack webhook URL *is* the key), so they are `SecretStr`: no repr, log line or
error message shows them. A channel is configured when its credential is set; routing only ever
picks configured channels, and an escalation with none waits as `queued`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.incidents import Severity

CHANNELS = ("pagerduty", "slack", "teams", "email")
"""Every channel, in the order they are tried and listed."""

_ALL = list(CHANNELS)
DEFAULT_SEVERITY_CHANNELS: dict[str, list[str]] = {
    "critical": _ALL,
    "high": _ALL,
    "medium": ["slack", "teams", "email"],
    "low": ["email"],
}


def _check_names(routes: dict[str, list[str]], what: str) -> dict[str, list[str]]:
    for key, names in routes.items():
        unknown = sorted(set(names) - set(CHANNELS))
        if unknown:
            raise ValueError(f"{what}[{key!r}] names unknown channels {unknown}; known: {list(CHANNELS)}")
    return routes


class L3Settings(BaseSettings):
    """Channels, routing and retries of the escalation engine."""

    model_config = SettingsConfigDict(env_prefix="OSIRIS_L3_", extra="ignore")

    slack_webhook_url: SecretStr | None = None
    teams_webhook_url: SecretStr | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls"] = "starttls"
    """starttls: upgrade on port 587; tls: implicit TLS (465). There is no plain-text option."""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "osiris@localhost"
    smtp_to: list[str] = Field(default_factory=list)
    smtp_ca_file: Path | None = None
    """Extra CA bundle to verify the SMTP server with (verification is always on)."""
    smtp_timeout_s: float = Field(default=30.0, gt=0)

    http_timeout_s: float = Field(default=10.0, gt=0)

    severity_channels: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY_CHANNELS))
    site_channels: dict[str, list[str]] = Field(default_factory=dict)
    """Per site id: this list replaces the severity list for that site's escalations."""

    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    max_total_wait_s: float = Field(default=300.0, ge=0)
    """No channel waits longer than this in total between attempts, Retry-After included."""
    queue_sweep_s: float = Field(default=60.0, gt=0)

    public_url: str | None = None
    """Central Command's address for links in messages (none when unset)."""

    _sev = field_validator("severity_channels")(lambda v: _check_names(v, "severity_channels"))
    _site = field_validator("site_channels")(lambda v: _check_names(v, "site_channels"))

    def configured(self) -> list[str]:
        """The channels whose credentials are set."""
        have = {
            "slack": self.slack_webhook_url is not None,
            "teams": self.teams_webhook_url is not None,
            "pagerduty": self.pagerduty_routing_key is not None,
            "email": bool(self.smtp_host and self.smtp_to),
        }
        return [c for c in CHANNELS if have[c]]

    def route(self, site_id: str, severity: Severity) -> list[str]:
        """The configured channels an escalation of this site and severity goes to (maybe none)."""
        wanted = self.site_channels.get(str(site_id))
        if wanted is None:
            wanted = self.severity_channels.get(severity.value, _ALL)
        ready = set(self.configured())
        return [c for c in CHANNELS if c in wanted and c in ready]
