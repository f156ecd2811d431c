"""gRPC and CA settings, read from `OSIRIS_GRPC_*` (and `OSIRIS_HOME`); the limits live here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving.pki.ca import AGENT_DAYS, CA_DAYS, SERVER_DAYS


def _default_home() -> Path:
    return Path.home() / ".osiris"


class GrpcSettings(BaseSettings):
    """Where the gRPC listeners bind, where the CA lives, and how long certificates and tokens last."""

    model_config = SettingsConfigDict(env_prefix="OSIRIS_GRPC_", extra="ignore")

    home: Path = Field(default_factory=_default_home, validation_alias=AliasChoices("OSIRIS_HOME", "home"))
    host: str = "127.0.0.1"
    enroll_port: int | None = Field(default=None, ge=0, le=65535)
    """The server-authenticated enrollment listener; None: the mTLS port + 1 (0 when that is 0)."""
    ca_dir: Path | None = None
    """Default `$OSIRIS_HOME/ca`."""
    server_names: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1", "::1"])
    """Names and IPs the server certificate covers (the bind host is added when it is specific)."""

    ca_days: int = Field(default=CA_DAYS, ge=1)
    agent_cert_days: int = Field(default=AGENT_DAYS, ge=1, le=825)
    server_cert_days: int = Field(default=SERVER_DAYS, ge=31, le=825)
    renew_grace_seconds: float = Field(default=86400.0, ge=0)
    """How long a certificate replaced by a renewal keeps working while the appliance switches."""

    drift_batch_max: int = Field(default=500, ge=1, le=10_000)
    """At most this many drift events are stored per transaction inside one stream."""
    report_max_events: int = Field(default=10_000, ge=1)
    max_message_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    heal_order_ttl_seconds: int = Field(default=900, ge=60, le=86400)
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)

    def ca_path(self) -> Path:
        """The CA folder."""
        return (self.ca_dir or self.home / "ca").expanduser()

    def names_for(self, host: str) -> list[str]:
        """The server certificate's names for a listener bound to `host`."""
        extra = [] if host in ("", "0.0.0.0", "::", "[::]") else [host]
        return list(dict.fromkeys([*self.server_names, *extra]))


def settings_for(app: Any) -> GrpcSettings:
    """The app's gRPC settings: `app.state.grpc_settings` if set, else the environment's, in the app's home."""
    explicit = getattr(app.state, "grpc_settings", None)
    if explicit is not None:
        return explicit
    return GrpcSettings(home=app.state.settings.home)
