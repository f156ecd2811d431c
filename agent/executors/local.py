"""Run scripts on the machine the agent runs on (an appliance checking itself; real-shell tests)."""

from __future__ import annotations

import os
import subprocess
import time

from agent.errors import ExecutorConnectionError, ExecutorTimeout
from agent.executors.base import ExecResult


class LocalExecutor:
    """POSIX shell on this machine; `sudo=True` uses `sudo -n` unless already root."""

    def __init__(self, shell: str = "/bin/sh"):
        self.shell = shell

    def run(self, command: str, *, timeout: float, sudo: bool = False, stdin: str | None = None) -> ExecResult:
        """Run the script with `sh -c`; raises ExecutorTimeout or ExecutorConnectionError."""
        argv = [self.shell, "-c", command]
        if sudo and os.geteuid() != 0:
            argv = ["sudo", "-n", "--", *argv]
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExecutorTimeout(f"local command ran past {timeout:g} s") from exc
        except OSError as exc:
            raise ExecutorConnectionError(f"cannot start {argv[0]}: {exc.strerror}") from exc
        return ExecResult(proc.returncode, proc.stdout, proc.stderr, (time.perf_counter() - start) * 1000)
