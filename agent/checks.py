"""Drift checks: run a runbook's check (or verify) script on a target and read its three-state answer.

Scripts end with one JSON line `{"status": "pass"|"fail"|"not_applicable", "details": {...}}`.
Anything else - a non-JSON last line, an executor failure, a timeout - is an `error` result, never
a pass: a check that could not run proves nothing.
"""

from __future__ import annotations

import json
from typing import Any

from agent.errors import CheckOutputError, ExecutorError
from agent.executors.base import ExecResult, Target
from contracts.incidents import CheckResult, CheckStatus
from contracts.runbooks import Runbook, render_script

_STATUSES = {"pass": CheckStatus.PASS, "fail": CheckStatus.FAIL, "not_applicable": CheckStatus.NOT_APPLICABLE}
MAX_DETAIL_TEXT = 500


def parse_check_output(result: ExecResult) -> tuple[CheckStatus, dict[str, Any]]:
    """The status and details a check script printed; raises CheckOutputError on anything else."""
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    if not lines:
        raise CheckOutputError(f"no output (exit {result.exit_code}): {_clip(result.stderr)}")
    try:
        obj = json.loads(lines[-1])
    except ValueError:
        raise CheckOutputError(f"last line is not JSON (exit {result.exit_code}): {_clip(lines[-1])}") from None
    if not isinstance(obj, dict) or obj.get("status") not in _STATUSES:
        raise CheckOutputError(f"last line lacks a pass/fail/not_applicable status: {_clip(lines[-1])}")
    details = obj.get("details", {})
    if details is None or details == []:  # PowerShell serialises an empty hashtable oddly at times
        details = {}
    if not isinstance(details, dict):
        raise CheckOutputError(f"details is not an object: {_clip(lines[-1])}")
    return _STATUSES[obj["status"]], details


def _clip(text: str) -> str:
    text = text.strip().replace("\n", " | ")
    return text if len(text) <= MAX_DETAIL_TEXT else text[:MAX_DETAIL_TEXT] + "..."


def run_check(
    target: Target,
    runbook: Runbook,
    *,
    site_id: str,
    appliance_id: str | None,
    phase: str = "check",
    params: dict[str, Any] | None = None,
) -> CheckResult:
    """Run one check (or verify) script and turn its answer into a CheckResult (errors included)."""
    status, details = CheckStatus.ERROR, {}
    try:
        script = render_script(runbook, phase, params)
        result = target.executor.run(script, timeout=runbook.timeout_seconds, sudo=runbook.requires_admin)
        status, details = parse_check_output(result)
    except ExecutorError as exc:
        details = {"error": f"{type(exc).__name__}: {_clip(str(exc))}"}
    except CheckOutputError as exc:
        details = {"error": f"CheckOutputError: {exc}"}
    return CheckResult(
        site_id=site_id,
        appliance_id=appliance_id,
        host=target.host,
        check_type=runbook.check_type,
        platform=target.platform,
        status=status,
        details=details,
        hipaa_controls=list(runbook.hipaa_citations),
    )
