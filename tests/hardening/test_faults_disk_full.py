"""Fault: the appliance's disk fills up under the agent.

A filesystem cannot be mounted here without root tricks, so the disk is made full the portable way:
the agent runs as `osiris agent once|run` in a subprocess whose RLIMIT_FSIZE stops its files just
above their current size, with SIGXFSZ ignored so a write past it fails (EFBIG) instead of killing
the process. The Central Command URL is a closed port: the agent works offline and every event
stays in its outbox. What must hold: the agent says what failed in one line and exits non-zero (no
traceback, no endless loop), `osiris agent status` still reads the store, `PRAGMA integrity_check`
is ok, nothing committed before is lost, and the next run without the limit carries on.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess

import nacl.signing
import pytest

from contracts.envelope import dump_verify_key
from tests.agent.central_stub import free_port
from tests.conftest import osiris_cmd

pytestmark = pytest.mark.slow

SITE = "3f1c2a4e-9b7d-4c1a-8e2f-5a6b7c8d9e0f"


@pytest.fixture
def agent_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
    env.update({
        "MSP_SITE_ID": SITE, "MSP_MCP_URL": f"http://127.0.0.1:{free_port()}", "MSP_API_KEY": "osa_offline",
        "MSP_SERVER_PUBKEY": dump_verify_key(nacl.signing.SigningKey.generate().verify_key),
        "MSP_STATE_DIR": str(tmp_path / "agent"), "MSP_SIMULATE": "windows:4,linux:4",
        "MSP_SIM_DRIFT_RATE": "0.5", "MSP_SIM_FAILURE_RATE": "0.2", "MSP_POLL_INTERVAL": "0",
        "MSP_CHECK_REPORT_INTERVAL": "0", "MSP_HTTP_TIMEOUT": "2",
    })
    return env


def _run(env: dict, *args: str, limit: int | None = None, seed: int = 1) -> subprocess.CompletedProcess:
    def cap_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG on the write instead of death by signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([*osiris_cmd(), "agent", *args], env=dict(env, MSP_SIM_SEED=str(seed)),
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=cap_file_size if limit is not None else None)


def _snapshot(db_path) -> tuple[str, set[str], set[str]]:
    db = sqlite3.connect(db_path)
    try:
        return (db.execute("PRAGMA integrity_check").fetchone()[0],
                {r[0] for r in db.execute("SELECT event_id FROM outbox")},
                {r[0] for r in db.execute("SELECT incident_id FROM incidents")})
    finally:
        db.close()


@pytest.mark.parametrize("command", ["once", "run"])
def test_faults_disk_full_agent_reports_store_error_and_loses_nothing(agent_env, tmp_path, command):
    db_path = tmp_path / "agent" / "agent.db"
    for seed in (1, 2):  # offline cycles: incidents and a full outbox, committed
        done = _run(agent_env, "once", seed=seed)
        assert done.returncode == 0, done.stderr
    ok, outbox_before, incidents_before = _snapshot(db_path)
    assert ok == "ok" and len(outbox_before) > 100 and incidents_before

    # The disk is full: no file of the agent's may grow more than a few pages past the database's size.
    limit = db_path.stat().st_size + 16 * 1024
    full = _run(agent_env, command, limit=limit, seed=3)
    lines = full.stderr.strip().splitlines()
    assert full.returncode != 0
    assert "Traceback" not in full.stderr, full.stderr[-2000:]
    # `once` writes only the failure; `run` also logs to stderr, and ends with the failure.
    assert len(lines) == 1 or command == "run", full.stderr[-2000:]
    assert lines[-1].startswith("error: agent store write failed"), lines[-1]

    status = _run(agent_env, "status", limit=limit)  # reading still works on a full disk
    assert status.returncode == 0, status.stderr
    waiting = json.loads(status.stdout.strip().splitlines()[-1])["outbox"]["depth"]

    ok, outbox_after, incidents_after = _snapshot(db_path)
    assert ok == "ok"
    assert outbox_before <= outbox_after and incidents_before <= incidents_after
    assert waiting == len(outbox_after)

    # Space again: the next run works on the same store.
    again = _run(agent_env, "once", seed=4)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout.strip().splitlines()[-1])
    assert report["checks"] > 0 and report["outbox_depth"] >= len(outbox_after)
    assert _snapshot(db_path)[0] == "ok"
