"""The real Central Command (`osiris serve`) in a subprocess on 127.0.0.1, stoppable and restartable.

Used by the agent's end-to-end tests and benchmarks: same database and port across restarts, an
admin token from `osiris tokens create`, and a few admin calls (sites, appliances, bundles, orders).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.agent.central_stub import free_port
from tests.conftest import osiris_cmd


class RealCentral:
    """`osiris serve` on a given database."""

    def __init__(self, pg_url: str, home: Path, port: int | None = None):
        self.port = port or free_port()
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
        self.env.update({
            "DATABASE_URL": pg_url, "OSIRIS_HOME": str(home),
            "OSIRIS_RATE_LIMIT_PER_SECOND": "100000", "OSIRIS_RATE_LIMIT_BURST": "100000",
        })
        self.proc: subprocess.Popen | None = None
        self._admin: str | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> RealCentral:
        """Start serving; returns once /readyz answers 200."""
        self.proc = subprocess.Popen(
            [*osiris_cmd(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.home / "serve.log", "ab"),  # noqa: SIM115
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"osiris serve exited {self.proc.returncode}: {(self.home / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("osiris serve did not become ready")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL when `kill`)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None

    @property
    def admin(self) -> str:
        """An admin token (made once)."""
        if self._admin is None:
            out = subprocess.run([*osiris_cmd(), "tokens", "create", "--role", "admin"], env=self.env,
                                 capture_output=True, text=True, timeout=60, check=True).stdout
            self._admin = out.strip().splitlines()[-1]
        return self._admin

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """An admin API call; returns the JSON answer (asserts success)."""
        r = httpx.request(method, self.url + path, headers={"Authorization": f"Bearer {self.admin}"}, timeout=30, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def provision(self, name: str = "Main Street Clinic") -> dict[str, Any]:
        """A new site with one appliance: site_id, appliance_id, api_key, signing_public_key."""
        site = self.call("POST", "/api/sites", json={"name": name})
        return self.call("POST", f"/api/sites/{site['id']}/appliances", json={"name": "appliance-1"})
