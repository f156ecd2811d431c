"""The one interface every executor implements: run a script on a target, get its result.

SSH, WinRM, the local machine and the simulated hosts all sit behind `Executor.run`; the healer
and the checks never know which one they hold. Executors raise only `agent.errors.ExecutorError`
subclasses, translated from their library's exceptions in one place each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ExecResult:
    """What a command did: its exit code, output and how long it took."""

    exit_code: int
    stdout: str
    stderr: str
    duration_ms: float

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0


@runtime_checkable
class Executor(Protocol):
    """Runs one script on one target."""

    def run(self, command: str, *, timeout: float, sudo: bool = False, stdin: str | None = None) -> ExecResult:
        """Run a script (PowerShell on Windows, POSIX shell on Linux); raises ExecutorError subclasses."""
        ...


@dataclass
class Target:
    """A host the agent checks and heals, with the executor that reaches it."""

    host: str
    platform: str  # "windows" | "linux"
    executor: Executor
    labels: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """Close the executor's session, if it keeps one."""
        close = getattr(self.executor, "close", None)
        if callable(close):
            close()
