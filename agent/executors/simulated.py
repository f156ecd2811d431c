"""Simulated Windows and Linux hosts behind the executor interface, for tests and the demo.

A SimulatedHost keeps one compliance state per check type of its platform and answers the
catalog's real scripts: it finds the `# osiris:<phase> <check_type>` marker, confirms the text is
that runbook's script for its own platform (a Linux script sent to Windows fails as it would),
and plays the part. Drift, remediation failures, flapping and timeouts happen at seeded,
configurable rates, so a run is reproducible.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agent.errors import ExecutorTimeout
from agent.executors.base import ExecResult
from contracts.runbooks import RunbookCatalog

_MARKER = re.compile(r"^\s*#\s*osiris:(check|remediate|verify)\s+([a-z0-9_]+)\s*$", re.MULTILINE)


@dataclass
class _State:
    compliant: bool = True
    details: dict[str, Any] = field(default_factory=dict)
    flappy: bool = False  # a heal that does not stick: it holds for one check, then drifts back
    hold: int = 0  # checks right after a heal that see it hold (then flappy heals come undone)
    stuck: bool = False  # remediation always fails (a broken host)


@dataclass
class SimStats:
    """What a simulated host has been asked to do."""

    checks: int = 0
    remediations: int = 0
    failures: int = 0
    drifts: int = 0
    timeouts: int = 0


class SimulatedHost:
    """One simulated host of one platform, answering the catalog's scripts."""

    def __init__(
        self,
        host: str,
        platform: str,
        catalog: RunbookCatalog,
        *,
        seed: int = 0,
        drift_rate: float = 0.05,
        failure_rate: float = 0.05,
        flap_rate: float = 0.02,
        timeout_rate: float = 0.0,
        drifted: Iterable[str] = (),
        latency: float = 0.0,
    ):
        self.host = host
        self.platform = platform
        self.drift_rate = drift_rate
        self.failure_rate = failure_rate
        self.flap_rate = flap_rate
        self.timeout_rate = timeout_rate
        self.latency = latency
        self.stats = SimStats()
        self._rng = random.Random(f"{seed}:{host}:{platform}")
        self._lock = threading.Lock()
        self._runbooks = {rb.check_type: rb for rb in catalog.for_platform(platform)}
        self._states = {ct: _State() for ct in self._runbooks}
        for check_type in drifted:
            self.drift(check_type)

    # --- test and demo controls -------------------------------------------------------------------

    @property
    def check_types(self) -> list[str]:
        """The check types this host answers."""
        return sorted(self._states)

    def drift(self, check_type: str, details: dict[str, Any] | None = None) -> None:
        """Make one check fail now (with these details, or one of the runbook's examples)."""
        state = self._states[check_type]
        state.compliant = False
        state.details = details if details is not None else self._example(check_type)
        self.stats.drifts += 1

    def set_flappy(self, check_type: str, flappy: bool = True) -> None:
        """Every heal of this check comes undone before the next check."""
        self._states[check_type].flappy = flappy

    def set_stuck(self, check_type: str, stuck: bool = True) -> None:
        """Remediation of this check always fails."""
        self._states[check_type].stuck = stuck

    def is_compliant(self, check_type: str) -> bool:
        """The true state of one check."""
        return self._states[check_type].compliant

    def drifted(self) -> list[str]:
        """Check types currently failing."""
        return sorted(ct for ct, s in self._states.items() if not s.compliant)

    # --- the executor interface -------------------------------------------------------------------

    def run(self, command: str, *, timeout: float, sudo: bool = False, stdin: str | None = None) -> ExecResult:
        """Answer a runbook script as the host would."""
        start = time.perf_counter()
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            exit_code, out, err = self._answer(command, timeout)
        return ExecResult(exit_code, out, err, (time.perf_counter() - start) * 1000)

    def _answer(self, command: str, timeout: float) -> tuple[int, str, str]:
        found = _MARKER.findall(command)
        if len(found) != 1:
            return 127, "", "simulated host: not a runbook script\n"
        phase, check_type = found[0]
        runbook = self._runbooks.get(check_type)
        if runbook is None or runbook.script(phase) not in command:
            shell = "powershell" if self.platform == "windows" else "sh"
            return 127, "", f"{shell}: simulated {self.platform} host cannot run this {phase} script\n"
        if self.timeout_rate and self._rng.random() < self.timeout_rate:
            self.stats.timeouts += 1
            raise ExecutorTimeout(f"{self.host}: simulated command ran past {timeout:g} s")
        state = self._states[check_type]
        if phase == "remediate":
            return self._remediate(state, check_type)
        if phase == "check":
            self.stats.checks += 1
            if state.compliant and state.hold > 0:
                state.hold -= 1  # the closed-loop re-check right after a heal sees the healed state
            elif state.compliant and (state.flappy or self._rng.random() < self.drift_rate):
                self.drift(check_type)
        status = "pass" if state.compliant else "fail"
        details = {} if state.compliant else dict(state.details)
        return 0, json.dumps({"status": status, "details": details}) + "\n", ""

    def _remediate(self, state: _State, check_type: str) -> tuple[int, str, str]:
        self.stats.remediations += 1
        if state.stuck or self._rng.random() < self.failure_rate:
            self.stats.failures += 1
            return 1, "", f"simulated failure remediating {check_type} on {self.host}\n"
        state.compliant = True
        state.details = {}
        if self._rng.random() < self.flap_rate:
            state.flappy = True
        state.hold = 1  # drift takes time: the re-check right after the heal never drifts by chance
        return 0, f"{check_type} remediated\n", ""

    def _example(self, check_type: str) -> dict[str, Any]:
        examples = self._runbooks[check_type].examples
        return dict(self._rng.choice(examples)) if examples else {"drifted": True}


def parse_spec(spec: str) -> list[tuple[str, int]]:
    """`"windows:3,linux:2"` -> [("windows", 3), ("linux", 2)]; raises ValueError on anything else."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        platform, _, count = part.partition(":")
        if platform not in ("windows", "linux") or not count.isdigit():
            raise ValueError(f"bad simulated host spec {part!r}: expected windows:N or linux:N")
        out.append((platform, int(count)))
    return out
