"""The reports served for real (`osiris ui`) and loaded in headless Chromium, screenshots kept.

A fresh server is first asked for a page URL (as a bookmark would), then for the root; both must
render the app with its navigation and the fixture's numbers, not an error or Streamlit's skeleton.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.analytics_app.browser import chromium
from tests.analytics_app.fixtures import write_marts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"osiris ui exited with {proc.returncode}: {proc.stderr.read().decode()[-800:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} was not healthy after {timeout:.0f} s")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
def test_browser_served_app_renders_pages_with_numbers(tmp_path: Path):
    home = tmp_path / "home"
    write_marts(home / "marts")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OSIRIS_HOME": str(home)}
    osiris = [sys.executable, "-c", "from cli.main import main; main()"]
    server = subprocess.Popen([*osiris, "ui", "--port", str(port), "--host", "127.0.0.1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_healthy(url, server)
        profile = tmp_path / "chromium-profile"
        profile.mkdir()
        with chromium(CHROMIUM, profile) as browser:
            browser.load(f"{url}/hipaa")  # the fresh server's first request is a page URL
            hipaa = browser.text()
            first = browser.screenshot(tmp_path / "hipaa.png")
            browser.load(url)
            overview = browser.text()
            shot = browser.screenshot(tmp_path / "shot.png")
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "HIPAA safeguards" in hipaa and "40.0%" in hipaa
    assert "Sites" in hipaa and "Period (UTC days)" in hipaa, "the entry script's filters are drawn"
    assert "Escalations" in hipaa, "the navigation lists every page"
    assert "Overview" in overview and "81.8%" in overview and "$0.0080" in overview
    assert "Traceback" not in hipaa + overview and "Error" not in overview
    for png in (first, shot):
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, f"{png.name}: {len(data)} bytes"
