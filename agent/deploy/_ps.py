"""Shared pieces of the deployment scripts: literal quoting, input checks, reading the JSON answer."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.errors import DeployError, ExecutorError
from agent.executors.base import ExecResult, Executor

ACTIONS = ("created", "updated", "unchanged")
DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
SHA256 = re.compile(r"^[0-9A-Fa-f]{64}$")


def ps_literal(value: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded, quotes are doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def check(pattern: re.Pattern[str], value: str, what: str) -> str:
    """The value when it matches, else DeployError naming the parameter."""
    if not isinstance(value, str) or not pattern.match(value):
        raise DeployError(f"{what} {value!r} is not valid")
    return value


def run_step(executor: Executor, script: str, step: str, timeout: float) -> dict[str, Any]:
    """Run a deployment script and read its last line `{"status": "ok", "action": ...}`."""
    try:
        result: ExecResult = executor.run(script, timeout=timeout)
    except ExecutorError as exc:
        raise DeployError(f"{step}: {type(exc).__name__}: {exc}") from exc
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    if result.exit_code != 0:
        reason = (result.stderr.strip() or (lines[-1] if lines else "")).splitlines()
        raise DeployError(f"{step} failed on the domain controller (exit {result.exit_code}): "
                          f"{reason[0][:300] if reason else 'no message'}")
    try:
        answer = json.loads(lines[-1]) if lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or answer.get("status") != "ok" or answer.get("action") not in ACTIONS:
        last = lines[-1][:200] if lines else "(no output)"
        raise DeployError(f"{step}: the domain controller's answer is not the expected JSON line: {last}")
    return answer
