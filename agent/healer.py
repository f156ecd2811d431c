"""The healer: run a runbook on a target and prove it worked by re-running the check (closed loop).

Around every heal sit three brakes, all persistent in the store so a restart does not reset them:
- a circuit breaker per (target, runbook): after N failures in a row the runbook is not tried on
  that target until a cooldown passes (then one trial run decides);
- flap suppression: a drift healed K times within W seconds is not auto-healed again for a while
  and is escalated once instead;
- dry run: everything is planned and recorded, nothing is executed.
The healer holds an executor through `Target` and never knows whether it is SSH, WinRM or simulated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.checks import run_check
from agent.errors import ExecutorError
from agent.executors.base import Target
from agent.store import Store
from contracts.incidents import CheckStatus, OutcomeStatus
from contracts.runbooks import Runbook, render_script


@dataclass(frozen=True)
class HealPolicy:
    """The healer's limits (from AgentSettings)."""

    dry_run: bool = False
    allow_disruptive: bool = False
    breaker_threshold: int = 3
    breaker_cooldown: float = 900.0
    flap_threshold: int = 3
    flap_window: float = 3600.0
    flap_suppress_for: float = 86400.0


@dataclass
class HealResult:
    """What one heal attempt did; `refused` says why nothing ran (the caller escalates)."""

    status: OutcomeStatus
    duration_ms: float = 0.0
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    refused: str | None = None


@dataclass(frozen=True)
class FlapVerdict:
    """Whether a drift may be auto-healed, and whether this is the moment suppression began."""

    suppressed: bool
    newly: bool = False
    heals: int = 0


class Healer:
    """Runs runbooks with breakers, flap suppression, dry run and closed-loop verification."""

    def __init__(self, store: Store, policy: HealPolicy, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.policy = policy
        self.clock = clock

    # --- brakes -----------------------------------------------------------------------------------

    def flap_verdict(self, host: str, check_type: str, incident_id: str) -> FlapVerdict:
        """Consult (and if needed start) flap suppression for a drift that just came back."""
        now = self.clock()
        if self.store.suppression(host, check_type, now) is not None:
            return FlapVerdict(suppressed=True)
        heals = self.store.heals_since(host, check_type, now - self.policy.flap_window)
        if heals < self.policy.flap_threshold:
            return FlapVerdict(suppressed=False, heals=heals)
        self.store.suppress(
            host, check_type, since=now, until=now + self.policy.flap_suppress_for, heals=heals,
            incident_id=incident_id,
        )
        return FlapVerdict(suppressed=True, newly=True, heals=heals)

    def breaker_open(self, target: str, runbook_id: str) -> bool:
        """True while the breaker for (target, runbook) is open."""
        failures, open_until = self.store.breaker(target, runbook_id)
        return failures >= self.policy.breaker_threshold and self.clock() < open_until

    def _breaker_result(self, target: str, runbook_id: str, ok: bool) -> None:
        if ok:
            if self.store.breaker(target, runbook_id) != (0, 0.0):
                self.store.set_breaker(target, runbook_id, 0, 0.0)
            return
        failures = self.store.breaker(target, runbook_id)[0] + 1
        # At the threshold (and on a failed half-open trial) the breaker opens for a full cooldown.
        open_until = self.clock() + self.policy.breaker_cooldown if failures >= self.policy.breaker_threshold else 0.0
        self.store.set_breaker(target, runbook_id, failures, open_until)

    # --- healing ----------------------------------------------------------------------------------

    def heal(
        self,
        target: Target,
        runbook: Runbook,
        params: dict[str, Any] | None,
        *,
        check_runbook: Runbook,
        site_id: str,
        appliance_id: str | None,
        before: dict[str, Any] | None = None,
    ) -> HealResult:
        """Run the runbook, then verify and re-run the incident's check; healed only if both pass."""
        before = before or {}
        if runbook.disruptive and not self.policy.allow_disruptive:
            return HealResult(OutcomeStatus.ESCALATED, before=before, refused="disruptive runbook needs a person")
        if self.breaker_open(target.host, runbook.id):
            return HealResult(OutcomeStatus.ESCALATED, before=before, refused=f"circuit breaker open for {runbook.id}")
        try:
            script = render_script(runbook, "remediate", params)
        except Exception as exc:  # noqa: BLE001 - a RunbookParamsError; any render failure refuses the heal
            return HealResult(OutcomeStatus.ESCALATED, before=before, refused=f"params refused: {exc}")
        if self.policy.dry_run:
            return HealResult(OutcomeStatus.PLANNED, before=before, after={"planned_script_bytes": len(script)})
        start = time.perf_counter()
        error = None
        try:
            result = target.executor.run(script, timeout=runbook.timeout_seconds, sudo=runbook.requires_admin)
            if not result.ok:
                error = f"remediate exited {result.exit_code}: {result.stderr.strip()[:300]}"
        except ExecutorError as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
        after: dict[str, Any] = {}
        if error is None:
            verify = run_check(target, runbook, site_id=site_id, appliance_id=appliance_id, phase="verify", params=params)
            recheck = run_check(target, check_runbook, site_id=site_id, appliance_id=appliance_id)
            after = {"verify": verify.status.value, "check": recheck.status.value, "details": recheck.details}
            if recheck.status is not CheckStatus.PASS or verify.status is not CheckStatus.PASS:
                error = f"closed loop: verify {verify.status.value}, re-check {recheck.status.value}"
        duration = (time.perf_counter() - start) * 1000
        healed = error is None
        self._breaker_result(target.host, runbook.id, healed)
        if healed:
            self.store.record_heal(target.host, check_runbook.check_type, self.clock())
        status = OutcomeStatus.HEALED if healed else OutcomeStatus.FAILED
        return HealResult(status, duration_ms=duration, before=before, after=after, error=error)
