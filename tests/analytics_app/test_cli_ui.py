"""`osiris ui` as a script sees it (serving itself is covered by test_browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _osiris(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env=env)


def test_cli_ui_port_in_use_one_line_error(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _osiris("ui", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: the address is in use or not available; pick another --port"]


def test_cli_ui_help_lists_options():
    done = _osiris("ui", "--help")
    assert done.returncode == 0
    for option in ("--port", "--host", "--open"):
        assert option in done.stdout


def test_cli_ui_bad_port_refused():
    done = _osiris("ui", "--port", "70000")
    assert done.returncode != 0 and "Traceback" not in done.stderr
