"""What a scan found on one host, in the shape the checks read and SQLite stores (plain JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.telemetry import DeviceScan, OpenPort


@dataclass(frozen=True)
class PortFinding:
    """One open port and what nmap made of the service behind it."""

    port: int
    proto: str = "tcp"
    service: str = ""  # nmap's service name: telnet, http, microsoft-ds, ...
    product: str = ""
    version: str = ""
    tunnel: str = ""  # "ssl" when the service speaks inside TLS (https, ftps, ...)
    extrainfo: str = ""
    scripts: dict[str, str] = field(default_factory=dict)  # NSE script id -> output

    @property
    def label(self) -> str:
        """`ssl/http`, `telnet`, or `tcp/40123` when nmap could not name it."""
        name = self.service or f"{self.proto}/{self.port}"
        return f"{self.tunnel}/{name}" if self.tunnel else name

    def brief(self) -> dict[str, Any]:
        """The port as a check detail."""
        out: dict[str, Any] = {"port": self.port, "proto": self.proto, "service": self.label}
        if self.product:
            out["product"] = " ".join(filter(None, (self.product, self.version)))
        return out


@dataclass(frozen=True)
class HostScan:
    """One live host: its addresses, names and open ports."""

    ip: str
    hostname: str = ""
    mac: str = ""
    vendor: str = ""
    os: str = ""
    ports: tuple[PortFinding, ...] = ()
    host_scripts: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `Store.save_scan` keeps)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostScan:
        """Back from `to_dict` (a stored scan)."""
        ports = tuple(PortFinding(**p) for p in data.get("ports", ()))
        return cls(**{**data, "ports": ports})

    def device_scan(self, site_id: str, *, in_inventory: bool) -> DeviceScan:
        """The device-scan telemetry event for this host."""
        return DeviceScan(
            site_id=site_id, host=self.hostname or self.ip, ip=self.ip, mac=self.mac or None, os=self.os or None,
            device_type=self.vendor or None, in_inventory=in_inventory,
            open_ports=[OpenPort(port=p.port, proto=p.proto, service=p.label, product=p.product, version=p.version)
                        for p in self.ports],
        )
