"""The devices an office says it has: matched to scanned hosts by MAC, then IP, then host name.

An inventory file (JSON or TOML, `{"devices": [...]}`) says what each device is allowed to expose
(`allowed_services`: web, smb, rdp, database, console) and whether it serves ePHI; the targets the
appliance manages are in the inventory too. `serves_ephi` left out means unknown.
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import InventoryError
from agent.scanner.models import HostScan

SERVICE_KEYS = frozenset({"web", "smb", "rdp", "database", "console"})
"""What `allowed_services` may name (cleartext remote access is never allowed)."""
_FIELDS = {"name", "ip", "mac", "hostname", "serves_ephi", "allowed_services"}


@dataclass(frozen=True)
class InventoryDevice:
    """One known device."""

    name: str
    ip: str | None = None
    mac: str | None = None
    hostname: str | None = None
    serves_ephi: bool | None = None
    allowed_services: frozenset[str] = frozenset()

    def allows(self, key: str) -> bool:
        """True when the inventory says this device may expose that kind of service."""
        return key in self.allowed_services


def _short(name: str) -> str:
    return name.strip().lower().split(".")[0]


class Inventory:
    """A set of devices with lookups by MAC, IP and short host name."""

    def __init__(self, devices: Iterable[InventoryDevice] = ()):
        self.devices = list(devices)
        self._by_mac = {d.mac.lower(): d for d in self.devices if d.mac}
        self._by_ip = {d.ip: d for d in self.devices if d.ip}
        self._by_name = {_short(n): d for d in self.devices for n in (d.hostname, d.name) if n}

    def __len__(self) -> int:
        return len(self.devices)

    def match(self, host: HostScan) -> InventoryDevice | None:
        """The inventory entry for a scanned host, or None when the office does not know it."""
        if host.mac and host.mac.lower() in self._by_mac:
            return self._by_mac[host.mac.lower()]
        if host.ip in self._by_ip:
            return self._by_ip[host.ip]
        return self._by_name.get(_short(host.hostname)) if host.hostname else None

    def merged(self, other: Inventory) -> Inventory:
        """Both inventories' devices (entries of `self` first, so they win a tie)."""
        return Inventory([*self.devices, *other.devices])

    @classmethod
    def from_targets(cls, rows: Iterable[Mapping[str, Any]]) -> Inventory:
        """The hosts the appliance manages (`Store.targets()` rows): known, role unknown."""
        devices = []
        for row in rows:
            host = row["host"]
            try:
                ipaddress.IPv4Address(host)
                devices.append(InventoryDevice(name=host, ip=host))
            except ValueError:
                devices.append(InventoryDevice(name=host, hostname=host))
        return cls(devices)

    @classmethod
    def load(cls, path: Path | str) -> Inventory:
        """Read a JSON or TOML inventory file; raises InventoryError naming the bad entry."""
        path = Path(path)
        try:
            raw = path.read_bytes()
            data = tomllib.loads(raw.decode("utf-8")) if path.suffix == ".toml" else json.loads(raw)
        except OSError as exc:
            raise InventoryError(f"cannot read inventory {path}: {exc.strerror}") from None
        except (UnicodeDecodeError, ValueError, tomllib.TOMLDecodeError) as exc:
            raise InventoryError(f"inventory {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
        entries = data.get("devices") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise InventoryError(f"inventory {path}: expected an object with a 'devices' list")
        return cls(_device(entry, n, path) for n, entry in enumerate(entries, 1))


def _device(entry: Any, n: int, path: Path) -> InventoryDevice:
    where = f"inventory {path} device {n}"
    if not isinstance(entry, dict):
        raise InventoryError(f"{where}: expected an object")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise InventoryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if not isinstance(entry.get("name"), str) or not entry["name"]:
        raise InventoryError(f"{where}: 'name' is required")
    for key in ("ip", "mac", "hostname"):
        if key in entry and not isinstance(entry[key], str):
            raise InventoryError(f"{where}: '{key}' must be a string")
    if "ip" in entry:
        try:
            ipaddress.IPv4Address(entry["ip"])
        except ValueError:
            raise InventoryError(f"{where}: 'ip' {entry['ip']!r} is not an IPv4 address") from None
    ephi = entry.get("serves_ephi")
    if ephi is not None and not isinstance(ephi, bool):
        raise InventoryError(f"{where}: 'serves_ephi' must be true or false")
    allowed = entry.get("allowed_services", [])
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed) or not set(allowed) <= SERVICE_KEYS:
        raise InventoryError(f"{where}: 'allowed_services' must list some of {', '.join(sorted(SERVICE_KEYS))}")
    return InventoryDevice(name=entry["name"], ip=entry.get("ip"), mac=(entry.get("mac") or "").lower() or None,
                           hostname=entry.get("hostname"), serves_ephi=ephi, allowed_services=frozenset(allowed))
