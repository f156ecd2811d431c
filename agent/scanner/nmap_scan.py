"""Run nmap (through python-nmap, imported only here and only when a scan runs) inside the scope guard.

Every target passes `ScopeGuard.check` before nmap starts, and every host in the report is checked
against the ranges again before it is returned: a scan can never reach or record an address
outside the configured ranges. TCP always; UDP (TFTP) only as root, since nmap needs raw sockets.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from agent.errors import ScanError
from agent.scanner.models import HostScan
from agent.scanner.nmap_xml import parse_nmap_xml
from agent.scanner.ranges import ScopeGuard

log = logging.getLogger(__name__)

DEFAULT_TCP_PORTS = ("21,22,23,25,80,110,135,139,143,443,445,512-514,631,990,1433,1521,2049,2375,3306,3389,5432,"
                     "5800,5900-5910,5984-5986,6000-6005,6379,8000,8008,8080,8443,8888,9100,9200,11211,27017")
"""The ports the network checks judge (remote access, web, SMB, RDP, databases, consoles) plus a few common ones."""
DEFAULT_UDP_PORTS = "69"
"""TFTP."""


@dataclass(frozen=True)
class ScanRun:
    """One nmap run: the live hosts, what was asked, and how long it took."""

    hosts: list[HostScan]
    targets: list[str]
    arguments: str
    elapsed_s: float
    udp: bool


class NmapScanner:
    """nmap over the guarded targets."""

    def __init__(
        self, guard: ScopeGuard, *, tcp_ports: str = DEFAULT_TCP_PORTS, udp_ports: str = DEFAULT_UDP_PORTS,
        service_detection: bool = True, resolve_names: bool = True, scripts: Iterable[str] = ("smb-protocols",),
        timing: int = 4, host_timeout: str = "5m", timeout: float = 1800.0, nmap_path: str | None = None,
    ):
        self.guard = guard
        self.tcp_ports, self.udp_ports = tcp_ports, udp_ports
        self.service_detection = service_detection
        self.resolve_names = resolve_names
        self.scripts = tuple(scripts)
        self.timing, self.host_timeout, self.timeout = timing, host_timeout, timeout
        self.nmap_path = nmap_path

    def arguments(self) -> tuple[str, str, bool]:
        """(nmap options, port spec, whether UDP is scanned) for this appliance."""
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        udp = root and bool(self.udp_ports)
        args = ["-sS" if root else "-sT", f"-T{self.timing}", "--max-retries", "2", "--host-timeout", self.host_timeout]
        if udp:
            args.insert(1, "-sU")
        if self.service_detection:
            args.append("-sV")
        if not self.resolve_names:
            args.append("-n")
        if self.scripts:
            args.append("--script=" + ",".join(self.scripts))
        ports = f"T:{self.tcp_ports},U:{self.udp_ports}" if udp else self.tcp_ports
        return " ".join(args), ports, udp

    def scan(self, targets: Iterable[str] | None = None) -> ScanRun:
        """Scan the targets (default: every configured range); raises ScanScopeError before nmap runs."""
        checked = self.guard.targets(targets)  # refuses out-of-range targets without touching nmap
        arguments, ports, udp = self.arguments()
        import nmap

        start = time.monotonic()
        try:
            search = (self.nmap_path,) if self.nmap_path else ("nmap", "/usr/bin/nmap", "/usr/local/bin/nmap")
            scanner = nmap.PortScanner(nmap_search_path=search)
            scanner.scan(hosts=" ".join(checked), ports=ports, arguments=arguments, timeout=self.timeout)
        except nmap.PortScannerTimeout:
            raise ScanError(f"nmap ran past {self.timeout:g} s and was stopped") from None
        except nmap.PortScannerError as exc:
            raise ScanError(f"nmap failed: {str(exc).strip()[:300]}") from None
        except (AttributeError, KeyError, ValueError) as exc:  # python-nmap's own reading of odd output
            raise ScanError(f"nmap output could not be read ({type(exc).__name__})") from None
        hosts = parse_nmap_xml(scanner.get_nmap_last_output())
        stray = [h.ip for h in hosts if not self.guard.contains(h.ip)]
        if stray:
            log.error("nmap reported hosts outside the ranges (dropped): %s", ", ".join(stray))
        kept = [h for h in hosts if self.guard.contains(h.ip)]
        return ScanRun(kept, checked, f"{arguments} -p {ports}", round(time.monotonic() - start, 3), udp)
