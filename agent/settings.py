"""The appliance's settings: `MSP_`-prefixed environment variables, or a TOML file (`MSP_CONFIG`).

Explicit arguments win over the environment, which wins over the file, so one provisioning file
can be overridden per run. The file keeps these settings in an `[agent]` table (or at its top level)
and the network scanner's in a `[scan]` table (`agent.scanner.settings`). The API key
is a SecretStr: it never appears in a repr, a log line or `osiris agent status`.
"""

from __future__ import annotations

import os
import socket
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.errors import SettingsError

AGENT_VERSION = "0.1.0"
CONFIG_TABLES = ("agent", "scan")
"""The tables of the TOML config file: `[agent]` (these settings) and `[scan]` (`agent.scanner.settings`)."""


def _default_state_dir() -> Path:
    home = os.environ.get("OSIRIS_HOME")
    return Path(home) / "agent" if home else Path.home() / ".osiris" / "agent"


class AgentSettings(BaseSettings):
    """Everything the agent reads from its environment or config file."""

    model_config = SettingsConfigDict(env_prefix="MSP_", extra="forbid", validate_default=True)

    site_id: str = ""
    mcp_url: str = Field(default="", description="Central Command base URL, e.g. https://cc.example:8443")
    api_key: SecretStr = SecretStr("")
    poll_interval: float = Field(default=60.0, ge=0)
    dry_run: bool = False
    state_dir: Path = Field(default_factory=_default_state_dir)
    server_pubkey: str = Field(default="", description="Central's Ed25519 public key: file text or path(s), comma-separated")
    tls_verify: bool = True
    ca_bundle: Path | None = None
    http_timeout: float = Field(default=10.0, gt=0)
    hostname: str = Field(default_factory=socket.gethostname)
    agent_version: str = AGENT_VERSION
    log_level: str = "INFO"
    log_file: Path | None = None

    # healing
    allow_disruptive: bool = False
    flap_threshold: int = Field(default=3, ge=1)
    flap_window: float = Field(default=3600.0, gt=0)
    flap_suppress_for: float = Field(default=86400.0, gt=0)
    breaker_threshold: int = Field(default=3, ge=1)
    breaker_cooldown: float = Field(default=900.0, ge=0)
    l2_enabled: bool = True
    l2_max_attempts: int = Field(default=3, ge=1)
    check_types: list[str] = Field(default_factory=list, description="Run only these checks (empty: all)")
    check_report_interval: float = Field(default=3600.0, ge=0)
    evidence: Literal["all", "heals", "off"] = Field(
        default="all", description="Signed evidence bundles: every check run and heal, heals only, or none")
    retain_days: float = Field(default=30.0, gt=0, description="Keep closed incidents and scans this long")

    # remote execution (WinRM; SSH pins host keys in state_dir/known_hosts). These are the appliance's
    # policy: they win over what a credential from Central Command asks for, so plain http stays off
    # unless the appliance itself allows it.
    winrm_transport: Literal["ntlm", "kerberos", "basic", "credssp", "certificate"] | None = Field(
        default=None, description="None: the credential's transport, else ntlm")
    winrm_allow_http: bool = Field(default=False, description="Allow WinRM over plain http (port 5985)")
    winrm_ca_bundle: Path | None = Field(default=None, description="CA file for WinRM https (default: system trust)")
    winrm_retries: int = Field(default=3, ge=0, le=10)

    # store and forward
    outbox_max_events: int = Field(default=100_000, ge=10)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    backoff_base: float = Field(default=2.0, gt=0)
    backoff_max: float = Field(default=300.0, gt=0)

    # orders
    update_domains: list[str] = Field(default_factory=lambda: ["updates.osiris.local"])

    # simulated hosts (tests and the demo): "windows:3,linux:2"
    simulate: str = ""
    sim_seed: int = 0
    sim_drift_rate: float = Field(default=0.05, ge=0, le=1)
    sim_failure_rate: float = Field(default=0.05, ge=0, le=1)
    sim_flap_rate: float = Field(default=0.02, ge=0, le=1)

    _config_file: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit arguments, then the environment, then the TOML file."""
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def config_file(self) -> Path | None:
        """The TOML file `load_settings` read (its `[scan]` table configures the scanner), or None."""
        return self._config_file

    @property
    def db_path(self) -> Path:
        """The SQLite store."""
        return self.state_dir / "agent.db"

    @property
    def effective_log_file(self) -> Path:
        """Where the agent logs (what `view_logs` reads)."""
        return self.log_file or self.state_dir / "agent.log"

    def require_central(self) -> None:
        """Raise SettingsError naming every setting a run against Central Command lacks."""
        missing = [
            f"MSP_{name.upper()}"
            for name, value in (
                ("site_id", self.site_id), ("mcp_url", self.mcp_url),
                ("api_key", self.api_key.get_secret_value()), ("server_pubkey", self.server_pubkey),
            )
            if not value
        ]
        if missing:
            raise SettingsError("missing settings: " + ", ".join(missing))

    def server_keyring(self):
        """Central's trusted public keys (`contracts.envelope.Keyring`) from text or file paths."""
        from contracts.envelope import Keyring
        from contracts.errors import MalformedEnvelopeError

        texts = _key_texts(self.server_pubkey)
        try:
            ring = Keyring.from_texts(texts)
        except MalformedEnvelopeError as exc:
            raise SettingsError(f"MSP_SERVER_PUBKEY: {exc}") from None
        if not len(ring):
            raise SettingsError("MSP_SERVER_PUBKEY holds no key")
        return ring


_TOML_VALUES: ContextVar[dict[str, Any] | None] = ContextVar("_TOML_VALUES", default=None)


class _TomlSource(PydanticBaseSettingsSource):
    """The values of the TOML file `load_settings` read (lowest precedence)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_TOML_VALUES.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_TOML_VALUES.get() or {})


def _key_texts(value: str) -> list[str]:
    """Split MSP_SERVER_PUBKEY into key texts: inline text (one or more keys) or comma-separated paths."""
    value = value.strip()
    if not value:
        return []
    if value.startswith("--") or "\n" in value:
        blocks, current = [], []
        for line in value.splitlines():
            if line.startswith("--") and current:
                blocks.append("\n".join(current))
                current = []
            if line.strip():
                current.append(line)
        return [*blocks, "\n".join(current)] if current else blocks
    texts = []
    for part in value.split(","):
        path = Path(part.strip()).expanduser()
        if not path.exists() and len(part.strip()) == 44:  # a bare base64 key
            texts.append(part.strip())
            continue
        try:
            texts.extend(_key_texts(path.read_text()) or [""])
        except OSError as exc:
            raise SettingsError(f"MSP_SERVER_PUBKEY: cannot read {path}: {exc.strerror}") from None
    return texts


def _agent_table(data: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """The agent's values in a config file: its `[agent]` table, or the top level when there is none."""
    if "agent" not in data:
        # A flat file holds the agent's settings; a [scan] table beside them is the scanner's.
        return {k: v for k, v in data.items() if k != "scan"}
    if not isinstance(data["agent"], dict):
        raise SettingsError(f"config file {path}: 'agent' must be a table ([agent])")
    stray = sorted(k for k in data if k not in CONFIG_TABLES)
    if stray:
        # Keys outside the tables would be silently ignored: a typo must not disable a setting.
        raise SettingsError(f"config file {path}: {', '.join(stray)} outside the [agent] and [scan] tables")
    return dict(data["agent"])


def load_settings(config: Path | str | None = None, **overrides: Any) -> AgentSettings:
    """Settings from overrides, then the MSP_ environment, then a TOML file (argument or MSP_CONFIG)."""
    path = config or os.environ.get("MSP_CONFIG")
    values: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                values = tomllib.load(fh)
        except OSError as exc:
            raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
        values = _agent_table(values, path)
    token = _TOML_VALUES.set(values)
    try:
        settings = AgentSettings(**overrides)
        settings._config_file = Path(path) if path else None
        return settings
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise SettingsError(f"setting {where}: {first.get('msg')}") from None
    finally:
        _TOML_VALUES.reset(token)
