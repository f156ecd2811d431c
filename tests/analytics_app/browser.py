"""Drive headless Chromium over the DevTools protocol: load a URL, wait until Streamlit has rendered,
read the page's text and save a screenshot.

Chromium's `--screenshot` shoots at the load event, and `--virtual-time-budget` does not wait for the
app's websocket (measured: the shot shows Streamlit's skeleton), so the test waits on the page itself.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from websockets.sync.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
# Streamlit marks the app container with the script state; the run is over once it is not running.
_READY = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !!main && !!main.querySelector('h1');
})()"""


class Browser:
    """One page of a headless Chromium, spoken to over its DevTools websocket."""

    def __init__(self, ws) -> None:
        self._ws, self._ids = ws, count(1)

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result (events in between are skipped)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv(timeout=30))
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def load(self, url: str, timeout: float = 45.0) -> None:
        """Navigate and wait until the Streamlit script run has finished and drawn a title."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(_READY):
                time.sleep(0.5)  # let charts finish their first paint
                return
            time.sleep(0.2)
        raise TimeoutError(f"{url} did not finish rendering in {timeout:.0f} s: {self.text()[:300]!r}")

    def text(self) -> str:
        """The page's visible text."""
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return path


@contextmanager
def chromium(binary: str, profile: Path) -> Iterator[Browser]:
    """A headless Chromium with its own profile directory; stopped (by its pid) on exit."""
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _devtools_port(profile, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            target = next(t for t in json.load(resp) if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            yield Browser(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _devtools_port(profile: Path, proc: subprocess.Popen, timeout: float = 30.0) -> int:
    # With --remote-debugging-port=0 Chromium picks a free port and writes it to this file.
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode} before DevTools was up")
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")
