"""The appliance agent: one cycle is check in → orders → bundle → drift checks and healing → network
scan (when due) → flush.

Central Command being unreachable never stops the local work: checks run, heals happen, and every
event waits in the outbox until the next successful flush. `Agent.cycle()` is what `osiris agent
once` runs; `Agent.run()` repeats it every poll interval until stopped.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.bundle import RulesInForce
from agent.central import CentralClient
from agent.checks import run_check
from agent.errors import CentralError, NotOfferedError, OutboxFullError, SettingsError, StoreError
from agent.evidence import EvidenceRecorder
from agent.executors.base import Target
from agent.healer import Healer, HealPolicy
from agent.keys import ApplianceKeys, ensure_keys
from agent.netscan import NetworkScans
from agent.orders import OrderProcessor
from agent.outbox import Outbox
from agent.remediation import Remediator
from agent.scanner.settings import ScanSettings, load_scan_settings
from agent.settings import AgentSettings
from agent.store import Store
from agent.targets import real_targets, remember_targets, simulated_targets
from contracts.api import CheckinRequest, CheckinResponse
from contracts.incidents import CheckResult
from contracts.runbooks import RunbookCatalog
from contracts.telemetry import EventKind, event

log = logging.getLogger(__name__)
RESTART_EXIT_CODE = 75
"""`osiris agent run` exits with this after a `restart_agent` order; the service manager restarts it."""
KEYS_RETRY_SECONDS = 3600.0


@dataclass
class CycleFlags:
    """Requests orders make of the rest of the cycle."""

    checkin_again: bool = False
    force_sync: bool = False
    drift_types: set[str] | None = None
    restart_after: float | None = None


@dataclass
class CycleReport:
    """What one cycle did (JSON for `osiris agent once`)."""

    checked_in: bool = False
    central_error: str | None = None
    orders: dict[str, int] = field(default_factory=dict)
    bundle_version: int = 0
    bundle_refused: str | None = None
    checks: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    healing_paused: str | None = None
    scan: dict[str, Any] | None = None
    scan_error: str | None = None
    flushed: int = 0
    outbox_depth: int = 0
    duration_ms: float = 0.0


class Agent:
    """One appliance: its store, keys, rules, targets, healer and Central Command session."""

    def __init__(
        self,
        settings: AgentSettings,
        *,
        targets: list[Target] | None = None,
        central: CentralClient | None = None,
        catalog: RunbookCatalog | None = None,
        clock: Callable[[], float] = time.time,
        scan_settings: ScanSettings | None = None,
    ):
        """`clock` times flap windows, breakers and check reports (a simulation may run it faster).

        `scan_settings` default to the environment and the `[scan]` table of the settings' config file.
        """
        from agent.runbooks import builtin_rules
        from agent.runbooks import catalog as shipped_catalog

        settings.require_central()
        self.settings = settings
        self.site_id = settings.site_id
        self.scan_settings = scan_settings if scan_settings is not None else load_scan_settings(settings.config_file)
        self.store = Store(settings.db_path)
        self.keys: ApplianceKeys = ensure_keys(settings.state_dir)
        self.keyring = settings.server_keyring()
        self.catalog = catalog or shipped_catalog()
        self.rules = RulesInForce(self.store, self.keyring, builtin_rules(), self.catalog.ids)
        self.outbox = Outbox(self.store, max_events=settings.outbox_max_events, backoff_base=settings.backoff_base,
                             backoff_max=settings.backoff_max)
        self.evidence = EvidenceRecorder(self.keys.signing_key, self.outbox, mode=settings.evidence)
        self.healer = Healer(self.store, HealPolicy(
            dry_run=settings.dry_run, allow_disruptive=settings.allow_disruptive,
            breaker_threshold=settings.breaker_threshold, breaker_cooldown=settings.breaker_cooldown,
            flap_threshold=settings.flap_threshold, flap_window=settings.flap_window,
            flap_suppress_for=settings.flap_suppress_for,
        ), clock=clock)
        self.clock = clock
        self.central = central or CentralClient(
            settings.mcp_url, settings.api_key.get_secret_value(), timeout=settings.http_timeout,
            verify=settings.tls_verify, ca_bundle=settings.ca_bundle, agent_version=settings.agent_version,
        )
        self._own_targets = targets is None
        self.simulated = [] if targets is not None else simulated_targets(
            settings.simulate, self.catalog, seed=settings.sim_seed, drift_rate=settings.sim_drift_rate,
            failure_rate=settings.sim_failure_rate, flap_rate=settings.sim_flap_rate)
        self.targets: list[Target] = targets if targets is not None else self.simulated + real_targets(self.store, self.keys, self.settings)
        self._real_rows = frozenset((row["host"], row["sealed"]) for row in self.store.targets())
        self.appliance_id: str | None = self.store.get("appliance_id")
        self.orders = OrderProcessor(self)
        self.remediator = Remediator(self)
        self.network = NetworkScans(self, self.scan_settings)
        self.flags = CycleFlags()
        self._started = time.monotonic()

    # --- one cycle --------------------------------------------------------------------------------

    def cycle(self) -> CycleReport:
        """Run one full cycle; Central Command errors are reported in the result, never raised."""
        start = time.perf_counter()
        self.flags = CycleFlags()
        report = CycleReport()
        response = self._checkin(report)
        if response is not None:
            self._orders(response, report)
            self._sync(response.bundle_digest, report)
        self.rules.check_expiry()
        report.bundle_version = self.rules.version
        self._drift(report)
        self.network.step(report)
        self._flush(report)
        if self.flags.checkin_again:
            again = self._checkin(report)
            if again is not None:
                self._orders(again, report)
                self._sync(again.bundle_digest, report)
        self._housekeeping()
        report.outbox_depth = self.outbox.depth()
        report.duration_ms = round((time.perf_counter() - start) * 1000, 1)
        return report

    def _checkin(self, report: CycleReport) -> CheckinResponse | None:
        request = CheckinRequest(
            hostname=self.settings.hostname[:253], agent_version=self.settings.agent_version,
            platform=sys.platform if sys.platform in ("linux", "win32", "darwin") else "linux",
            bundle_version=self.rules.version, uptime_seconds=round(time.monotonic() - self._started, 1),
            outbox_depth=self.outbox.depth(),
        )
        try:
            response = self.central.checkin(request)
        except CentralError as exc:
            report.central_error = f"{type(exc).__name__}: {exc}"
            log.warning("check-in failed: %s (working offline)", exc)
            return None
        if response.site_id != self.site_id:
            raise SettingsError(f"MSP_SITE_ID is {self.site_id} but Central Command says this appliance "
                                f"belongs to site {response.site_id}")
        report.checked_in = True
        with self.store.transaction():
            if response.appliance_id != self.appliance_id:
                self.store.put("appliance_id", response.appliance_id)
            self.store.put("last_checkin_at", response.server_time.isoformat())
        self.appliance_id = response.appliance_id
        self._register_keys()
        if self._own_targets and response.targets is not None:
            remember_targets(self.store, response.targets)
            self._refresh_real_targets()
        return response

    def _refresh_real_targets(self) -> None:
        rows = frozenset((row["host"], row["sealed"]) for row in self.store.targets())
        if rows == self._real_rows:
            return
        for t in self.targets:
            if t.labels.get("kind") != "simulated":
                t.close()
        self._real_rows = rows
        self.targets = self.simulated + real_targets(self.store, self.keys, self.settings)

    def _register_keys(self) -> None:
        body = self.keys.public_keys()
        fingerprint = body["box_public_key"] + body["signing_public_key"]
        if self.store.get("keys_registered") == fingerprint:
            return
        if time.time() < float(self.store.get("keys_next_try", "0") or 0):
            return
        try:
            self.central.put_keys(body)
            self.store.put("keys_registered", fingerprint)
        except NotOfferedError:
            self.store.put("keys_next_try", str(time.time() + KEYS_RETRY_SECONDS))
        except CentralError as exc:
            log.warning("registering appliance keys failed: %s", exc)

    def _orders(self, response: CheckinResponse, report: CycleReport) -> None:
        outcomes = self.orders.process(response.orders)
        counts = Counter(report.orders)
        counts.update(o.status for o in outcomes)
        report.orders = dict(counts)

    def _sync(self, digest: str | None, report: CycleReport) -> None:
        try:
            result = self.rules.sync(self.central, digest, force=self.flags.force_sync)
        except CentralError as exc:
            report.central_error = f"bundle sync: {type(exc).__name__}: {exc}"
            return
        self.flags.force_sync = False
        report.bundle_refused = result.refused

    def _drift(self, report: CycleReport) -> None:
        wanted = set(self.settings.check_types) or None
        if self.flags.drift_types is not None:
            wanted = self.flags.drift_types if wanted is None else wanted | self.flags.drift_types
        outcomes: Counter[str] = Counter()
        try:
            for target in self.targets:
                results: list[CheckResult] = []
                try:
                    for runbook in self.catalog.for_platform(target.platform):
                        if wanted is not None and runbook.check_type not in wanted:
                            continue
                        paused = self.healing_paused()
                        if paused:
                            report.healing_paused = paused
                            return
                        result = run_check(target, runbook, site_id=self.site_id, appliance_id=self.appliance_id)
                        report.checks += 1
                        results.append(result)
                        what = self.remediator.handle(target, runbook, result)
                        if what:
                            outcomes[what] += 1
                finally:
                    # One transaction (one fsync) per target for the routine check reports.
                    self._report_checks(results)
                    self.evidence.checks(results)  # one signed bundle per check run
        except OutboxFullError as exc:
            report.healing_paused = str(exc)
        finally:
            report.outcomes = dict(outcomes)

    def healing_paused(self) -> str | None:
        """Why healing must wait (the outbox cannot record more), or None."""
        depth = self.outbox.depth()
        # Keep headroom for the events one incident produces: no action without its record.
        if depth + 16 > self.settings.outbox_max_events:
            return f"outbox full ({depth} of {self.settings.outbox_max_events} events): healing paused"
        return None

    def _report_checks(self, results: list[CheckResult]) -> None:
        """Queue check results whose status changed or whose last report is older than the interval."""
        from agent.remediation import outbound

        now = self.clock()
        due = []
        for result in results:
            last = self.store.check_state(result.host, result.check_type)
            if last is None or last[0] != result.status.value or now - last[1] >= self.settings.check_report_interval:
                due.append(result)
        if not due:
            return
        try:
            with self.store.transaction():
                for result in due:
                    sent = result.model_copy(update={"details": outbound(result.details)})
                    if self.outbox.add([event(EventKind.CHECK_RESULT, sent)], sheddable=True):
                        self.store.set_check_state(result.host, result.check_type, result.status.value, now)
        except OutboxFullError:
            log.warning("outbox full: %d check results not reported this cycle", len(due))

    def _flush(self, report: CycleReport) -> None:
        result = self.outbox.flush(self.central.send_telemetry, batch_size=self.settings.outbox_batch_size)
        report.flushed = result.sent
        if result.error and report.central_error is None:
            report.central_error = f"telemetry: {result.error}"

    def _housekeeping(self) -> None:
        self.store.prune_nonces(time.time())  # order expiry is real time, whatever the clock
        self.store.prune_heals(self.clock() - self.settings.flap_window * 2)
        self.store.prune_closed(datetime.now(UTC) - timedelta(days=self.settings.retain_days))

    # --- running ----------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, *, max_cycles: int | None = None) -> int:
        """Cycle every poll interval until stopped; returns the process exit code."""
        stop = stop or threading.Event()
        cycles = 0
        while not stop.is_set():
            began = time.monotonic()
            cycles += 1
            try:
                report = self.cycle()
                log.info("cycle %d: %s", cycles, _summary(report))
            except (SettingsError, StoreError):
                raise  # misprovisioned or the disk failed: a restart by the service manager is the cure
            except Exception:  # noqa: BLE001 - one bad cycle must not end healing; the next one retries
                log.exception("cycle %d failed; next cycle in %g s", cycles, self.settings.poll_interval)
            if self.flags.restart_after is not None:
                stop.wait(self.flags.restart_after)
                log.warning("restarting on order (exit %d)", RESTART_EXIT_CODE)
                return RESTART_EXIT_CODE
            if max_cycles is not None and cycles >= max_cycles:
                break
            stop.wait(max(0.0, self.settings.poll_interval - (time.monotonic() - began)))
        return 0

    def close(self) -> None:
        """Close sessions and the store."""
        for target in self.targets:
            target.close()
        self.central.close()
        self.store.close()


def _summary(report: CycleReport) -> dict[str, Any]:
    return {k: v for k, v in report.__dict__.items() if v not in (None, {}, 0, False)}
