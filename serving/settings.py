"""Central Command's configuration: one pydantic-settings object read from the environment.

`DATABASE_URL` and `OSIRIS_HOME` keep their bare names (every Osiris process shares them); the
rest are `OSIRIS_`-prefixed. Limits live here, in one place, so tests and benchmarks can move them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.orders import DEFAULT_UPDATE_DOMAINS


def _default_home() -> Path:
    return Path.home() / ".osiris"


class Settings(BaseSettings):
    """Everything `create_app` needs to know about its deployment."""

    model_config = SettingsConfigDict(env_prefix="OSIRIS_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    home: Path = Field(default_factory=_default_home, validation_alias=AliasChoices("OSIRIS_HOME", "home"))
    signing_key_path: Path | None = None
    """Ed25519 key signing orders and bundles; default `$OSIRIS_HOME/keys/signing.key`, made 0600."""

    # Closed by default: appliances and the CLI are not browsers, so no origin needs CORS.
    cors_origins: list[str] = Field(default_factory=list)

    rate_limit_per_second: float = Field(default=20.0, gt=0)
    rate_limit_burst: int = Field(default=120, ge=1)
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    order_ttl_seconds: int = Field(default=3600, ge=1, le=30 * 86400)
    order_sweep_seconds: float = Field(default=60.0, gt=0)
    update_domains: list[str] = Field(default_factory=lambda: list(DEFAULT_UPDATE_DOMAINS))
    bundle_expires_days: int = Field(default=30, ge=1, le=366)

    # copy: COPY into a staging table and merge (the product path); insert: one INSERT per event
    # (kept only as the benchmark's baseline).
    telemetry_ingest: Literal["copy", "insert"] = "copy"

    grpc_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve gRPC too (when `serving.grpc.server` exists) on this port."""

    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    migrate_on_start: bool = True

    def signing_key_file(self) -> Path:
        """Where the server signing key lives."""
        return self.signing_key_path or self.home.expanduser() / "keys" / "signing.key"
