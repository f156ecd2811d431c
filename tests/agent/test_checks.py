"""Check output parsing and running checks: real shell scripts on this machine, and broken output."""

from __future__ import annotations

import pytest

from agent.checks import parse_check_output, run_check
from agent.errors import CheckOutputError, ExecutorTimeout
from agent.executors.base import ExecResult, Target
from agent.executors.local import LocalExecutor
from agent.runbooks import catalog
from contracts.incidents import CheckStatus

CAT = catalog()


def _res(stdout: str, code: int = 0, stderr: str = "") -> ExecResult:
    return ExecResult(code, stdout, stderr, 1.0)


def test_parse_check_output_last_json_line_wins():
    status, details = parse_check_output(_res('noise\n{"status":"fail","details":{"a":1}}\n\n'))
    assert status is CheckStatus.FAIL and details == {"a": 1}


@pytest.mark.parametrize(
    "stdout",
    ["", "\n\n", "not json", '{"status":"maybe"}', '["pass"]', '{"status":"pass","details":"x"}', "{bad json"],
)
def test_parse_check_output_broken_raises_check_output_error(stdout):
    with pytest.raises(CheckOutputError):
        parse_check_output(_res(stdout, 1, "boom"))


def test_parse_check_output_empty_details_list_is_empty_object():
    assert parse_check_output(_res('{"status":"pass","details":[]}'))[1] == {}


@pytest.mark.parametrize("runbook_id", [rb.id for rb in CAT.for_platform("linux")])
def test_linux_check_script_runs_in_real_shell_three_state(runbook_id):
    # The shipped Linux check scripts run unchanged on this machine and speak the protocol.
    target = Target("localhost", "linux", LocalExecutor())
    result = run_check(target, CAT.get(runbook_id), site_id="s", appliance_id=None)
    assert result.status in (CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.NOT_APPLICABLE), result.details


class _Hanging:
    def run(self, command, *, timeout, sudo=False, stdin=None):
        raise ExecutorTimeout(f"ran past {timeout}")


def test_run_check_executor_timeout_is_error_not_pass():
    result = run_check(Target("h", "linux", _Hanging()), CAT.get("RB-LNX-FIREWALL-001"), site_id="s", appliance_id=None)
    assert result.status is CheckStatus.ERROR and "ExecutorTimeout" in result.details["error"]


def test_local_executor_timeout_raises_executor_timeout():
    with pytest.raises(ExecutorTimeout):
        LocalExecutor().run("sleep 5", timeout=0.2)


def test_run_check_garbage_output_is_error():
    target = Target("localhost", "linux", LocalExecutor())
    rb = CAT.get("RB-LNX-FIREWALL-001").model_copy(update={"check": "# osiris:check firewall_status\necho hello"})
    result = run_check(target, rb, site_id="s", appliance_id=None)
    assert result.status is CheckStatus.ERROR and "not JSON" in result.details["error"]
