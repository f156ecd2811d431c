"""Scanner settings: `MSP_NETWORK_RANGES` (or `NETWORK_RANGES`), ports, cadence, the inventory file.

Scanning is off until ranges are set: `auto` (the appliance's own subnets) on an appliance, explicit
CIDRs otherwise. A TOML config file may carry them in a `[scan]` table beside `[agent]`.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.errors import SettingsError
from agent.scanner.nmap_scan import DEFAULT_TCP_PORTS, DEFAULT_UDP_PORTS
from agent.scanner.ranges import DEFAULT_MAX_PREFIX


class ScanSettings(BaseSettings):
    """What, how and how often the appliance scans."""

    model_config = SettingsConfigDict(env_prefix="MSP_", extra="forbid")

    network_ranges: str = Field(default="", description="'' (off), 'auto' or CIDRs")
    scan_max_prefix: int = Field(default=DEFAULT_MAX_PREFIX, ge=16, le=32)
    scan_interval: float = Field(default=86400.0, gt=0, description="seconds between scans")
    scan_tcp_ports: str = DEFAULT_TCP_PORTS
    scan_udp_ports: str = DEFAULT_UDP_PORTS
    scan_service_detection: bool = True
    scan_resolve_names: bool = True
    scan_timeout: float = Field(default=1800.0, gt=0)
    inventory_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit arguments, then the environment, then the `[scan]` table of the TOML file."""
        return (init_settings, env_settings, _TomlScan(settings_cls))

    @property
    def enabled(self) -> bool:
        """True once ranges are configured."""
        return bool(self.network_ranges.strip())


_TOML: ContextVar[dict[str, Any] | None] = ContextVar("_TOML", default=None)


class _TomlScan(PydanticBaseSettingsSource):
    """The `[scan]` table `load_scan_settings` read (lowest precedence)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_TOML.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_TOML.get() or {})


def load_scan_settings(config: Path | str | None = None, **overrides: Any) -> ScanSettings:
    """Overrides, then the environment, then the `[scan]` table of the TOML file (argument or MSP_CONFIG)."""
    path = config or os.environ.get("MSP_CONFIG")
    values: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                values = dict(tomllib.load(fh).get("scan", {}))
        except OSError as exc:
            raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    bare = os.environ.get("NETWORK_RANGES")  # the unprefixed name; MSP_NETWORK_RANGES wins over it
    if bare is not None and "MSP_NETWORK_RANGES" not in os.environ and "network_ranges" not in overrides:
        overrides = {**overrides, "network_ranges": bare}
    token = _TOML.set(values)
    try:
        return ScanSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "scan settings"
        raise SettingsError(f"scan setting {where}: {first.get('msg')}") from None
    finally:
        _TOML.reset(token)
