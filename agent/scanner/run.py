"""One network scan end to end: ranges -> nmap -> SQLite -> HIPAA network checks -> telemetry events.

`run_network_scan` is what the agent's cycle calls when `scan_due` says so; it returns the check
results (for incidents) and the telemetry events (for the outbox) and leaves both to the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from agent.network_checks import scan_checks
from agent.scanner.inventory import Inventory
from agent.scanner.models import HostScan
from agent.scanner.nmap_scan import NmapScanner
from agent.scanner.ranges import ScopeGuard, parse_ranges
from agent.scanner.settings import ScanSettings
from contracts.incidents import CheckResult
from contracts.telemetry import EventKind, TelemetryEvent, event

RUN_KEY = "network_scan"
"""`Store.save_scan(RUN_KEY, "run", ...)` keeps the summary of the last scan."""


@dataclass
class ScanReport:
    """What one scan found and what it means."""

    ranges: list[str]
    hosts: list[HostScan]
    results: list[CheckResult]
    events: list[TelemetryEvent] = field(default_factory=list)
    elapsed_s: float = 0.0
    arguments: str = ""

    def summary(self) -> dict[str, Any]:
        """Counts for status output and the stored run record."""
        failed = sorted({(r.host, r.check_type) for r in self.results if r.status.value == "fail"})
        return {"ranges": self.ranges, "hosts": len(self.hosts), "checks": len(self.results),
                "failed": len(failed), "elapsed_s": self.elapsed_s, "arguments": self.arguments,
                "finished_at": time.time()}


def scanner_for(settings: ScanSettings) -> NmapScanner:
    """The nmap scanner for these settings (its guard built from the configured ranges)."""
    guard = ScopeGuard(parse_ranges(settings.network_ranges, max_prefix=settings.scan_max_prefix))
    return NmapScanner(guard, tcp_ports=settings.scan_tcp_ports, udp_ports=settings.scan_udp_ports,
                       service_detection=settings.scan_service_detection, resolve_names=settings.scan_resolve_names,
                       timeout=settings.scan_timeout)


def inventory_for(settings: ScanSettings, store: Any) -> Inventory | None:
    """The inventory file plus the managed targets; None when no inventory file is configured."""
    if settings.inventory_file is None:
        return None
    return Inventory.load(settings.inventory_file).merged(Inventory.from_targets(store.targets()))


def scan_due(settings: ScanSettings, store: Any, now: float | None = None) -> bool:
    """True when scanning is on and the last scan is older than the interval."""
    if not settings.enabled:
        return False
    last = store.latest_scan(RUN_KEY, "run")
    return last is None or (now or time.time()) - float(last.get("finished_at", 0)) >= settings.scan_interval


def run_network_scan(
    settings: ScanSettings, store: Any, *, site_id: str, appliance_id: str | None = None,
    scanner: NmapScanner | None = None, inventory: Inventory | None = None, targets: list[str] | None = None,
) -> ScanReport:
    """Scan, keep every host's result in SQLite, run the network checks; raises ScanError / ScanScopeError."""
    scanner = scanner or scanner_for(settings)
    inventory = inventory if inventory is not None else inventory_for(settings, store)
    run = scanner.scan(targets)
    results = scan_checks(run.hosts, inventory, site_id=site_id, appliance_id=appliance_id)
    events = [event(EventKind.DEVICE_SCAN, h.device_scan(
        site_id, in_inventory=inventory is not None and inventory.match(h) is not None)) for h in run.hosts]
    events += [event(EventKind.CHECK_RESULT, r) for r in results]
    report = ScanReport([str(r) for r in scanner.guard.ranges], run.hosts, results, events, run.elapsed_s,
                        run.arguments)
    with store.transaction():
        for host in run.hosts:
            store.save_scan(host.ip, "nmap", host.to_dict())
        store.save_scan(RUN_KEY, "run", report.summary())
    return report
