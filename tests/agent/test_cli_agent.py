"""`osiris agent once|status|run` as a person or cron runs them: JSON out, one-line failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import osiris_cmd


def _env(state, server, tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
    env.update({
        "MSP_SITE_ID": state.site_id, "MSP_MCP_URL": server.url, "MSP_API_KEY": state.api_key,
        "MSP_SERVER_PUBKEY": state.public_key_text, "MSP_STATE_DIR": str(tmp_path / "agent"),
        "MSP_SIMULATE": "windows:1,linux:1", "MSP_SIM_DRIFT_RATE": "0.5", "MSP_SIM_SEED": "3",
    })
    env.update(extra)
    return env


def test_agent_once_prints_report_json_and_status_reads_it(central, tmp_path):
    state, server = central
    env = _env(state, server, tmp_path)
    proc = subprocess.run([*osiris_cmd(), "agent", "once"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["checked_in"] and report["checks"] == 31 and report["outbox_depth"] == 0
    assert sum(report["outcomes"].values()) > 0 and state.events
    status = subprocess.run([*osiris_cmd(), "agent", "status"], env=env, capture_output=True, text=True, timeout=60)
    body = json.loads(status.stdout.strip().splitlines()[-1])
    assert body["appliance_id"] == state.appliance_id and body["outbox"]["depth"] == 0
    assert body["last_checkin_at"] and "api_key" not in status.stdout and state.api_key not in status.stdout
    assert (tmp_path / "agent" / "agent.log").exists()


def test_agent_once_missing_settings_one_line_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
    env["MSP_STATE_DIR"] = str(tmp_path)
    proc = subprocess.run([*osiris_cmd(), "agent", "once"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "MSP_MCP_URL" in proc.stderr and "Traceback" not in proc.stderr


def test_agent_status_before_first_run_one_line_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
    env["MSP_STATE_DIR"] = str(tmp_path / "none")
    proc = subprocess.run([*osiris_cmd(), "agent", "status"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "has not run here yet" in proc.stderr and "Traceback" not in proc.stderr


def test_agent_run_stops_on_sigterm(central, tmp_path):
    import signal
    import time

    state, server = central
    env = _env(state, server, tmp_path, MSP_POLL_INTERVAL="0.2")
    proc = subprocess.Popen([*osiris_cmd(), "agent", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 30
    while len(state.checkins) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(state.checkins) >= 2 and "agent started" in err


def test_agent_help_lists_commands():
    proc = subprocess.run([*osiris_cmd(), "agent", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and all(c in proc.stdout for c in ("run", "once", "status"))
    assert sys.executable
