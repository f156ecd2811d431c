"""The cycle's network step: when a scan is due, scan, report what was found, and raise incidents.

Scanning is off until `MSP_NETWORK_RANGES` (or the `[scan]` table) names ranges: nothing is ever
scanned by default. A due scan runs inline after the drift checks (bounded by `scan_timeout`);
device scans go to the outbox as sheddable telemetry, check results through the same
report-on-change path as drift checks, and failures become incidents that the builtin L1 rule
escalates to a person (a network finding has no runbook). A scan that cannot run is reported in the
cycle and retried after `RETRY_SECONDS` (or the scan interval, if shorter), not every cycle.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent.errors import InventoryError, OutboxFullError, ScanError, SettingsError
from agent.scanner.nmap_scan import NmapScanner
from agent.scanner.run import ScanReport, run_network_scan, scan_due
from agent.scanner.settings import ScanSettings
from contracts.telemetry import EventKind

if TYPE_CHECKING:
    from agent.agent import Agent, CycleReport

log = logging.getLogger(__name__)
RETRY_SECONDS = 3600.0
"""After a failed scan (nmap missing, timed out, bad ranges or inventory), wait this long before the next try."""


def scanning_off() -> ScanSettings:
    """Scan settings that never scan, whatever the environment says (simulated fleets, the demo)."""
    return ScanSettings(network_ranges="")


class NetworkScans:
    """Runs due network scans for one agent and feeds their findings into its outbox and incidents."""

    def __init__(self, agent: Agent, settings: ScanSettings, *, scanner: NmapScanner | None = None,
                 clock: Callable[[], float] = time.time):
        """`scanner` defaults to nmap over the configured ranges; `clock` is wall time (scan cadence is real)."""
        self.agent = agent
        self.settings = settings
        self.scanner = scanner
        self.clock = clock
        # In memory on purpose: a restart (after fixing the ranges, installing nmap) tries again at once.
        self.retry_at = 0.0

    def due(self) -> bool:
        """True when scanning is on, the interval has passed, and no failed scan is waiting to be retried."""
        if not scan_due(self.settings, self.agent.store, now=self.clock()):
            return False
        return self.clock() >= self.retry_at

    def step(self, report: CycleReport) -> None:
        """Scan if due and act on the findings; scan failures land in `report.scan_error`, never raised."""
        if not self.due():
            return
        paused = self.agent.healing_paused()
        if paused:
            report.scan_error = f"scan deferred: {paused}"
            return
        agent = self.agent
        try:
            scan = run_network_scan(self.settings, agent.store, site_id=agent.site_id, appliance_id=agent.appliance_id,
                                    scanner=self.scanner)
        except (ScanError, InventoryError, SettingsError) as exc:
            retry = min(RETRY_SECONDS, self.settings.scan_interval)
            self.retry_at = self.clock() + retry
            report.scan_error = f"{type(exc).__name__}: {exc}"
            log.warning("network scan failed (next try in %g s): %s", retry, exc)
            return
        report.scan = _brief(scan)
        self._act(scan, report)

    def _act(self, scan: ScanReport, report: CycleReport) -> None:
        agent = self.agent
        devices = [e for e in scan.events if e.kind is EventKind.DEVICE_SCAN]
        if devices and not agent.outbox.add(devices, sheddable=True):
            log.warning("outbox nearly full: %d device scans shed", len(devices))
        agent._report_checks(scan.results)  # the drift checks' path: only changes and periodic repeats
        outcomes: Counter[str] = Counter(report.outcomes)
        try:
            for result in scan.results:
                what = agent.remediator.handle_network(result)
                if what:
                    outcomes[what] += 1
        except OutboxFullError as exc:
            report.healing_paused = str(exc)
        report.outcomes = dict(outcomes)


def _brief(scan: ScanReport) -> dict[str, Any]:
    """What the cycle report says about a scan."""
    summary = scan.summary()
    return {k: summary[k] for k in ("ranges", "hosts", "checks", "failed", "elapsed_s")}
