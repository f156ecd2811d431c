"""Shared by the agent benchmarks: a stub Central Command in its own process (so its memory and CPU
are not the agent's), reachable on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nacl.signing

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from contracts.envelope import dump_verify_key  # noqa: E402

# The stub's defaults (tests/agent/central_stub.py CentralState), not imported: that module loads
# FastAPI and uvicorn, which must not count toward the agent's memory or start-up.
STUB_SITE_ID = "site-0001"
STUB_API_KEY = "test-api-key-0123456789"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StubProcess:
    """`python -m tests.agent.central_stub` in a subprocess."""

    def __init__(self) -> None:
        self.port = free_port()
        self.key = nacl.signing.SigningKey.generate()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.agent.central_stub", str(self.port), bytes(self.key).hex()],
            cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/docs", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("stub Central Command did not start")

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def env(self, state_dir: Path, **extra: str) -> dict[str, str]:
        """MSP_ settings for an agent talking to this stub."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
        env.update({"MSP_SITE_ID": STUB_SITE_ID, "MSP_MCP_URL": self.url, "MSP_API_KEY": STUB_API_KEY,
                    "MSP_SERVER_PUBKEY": dump_verify_key(self.key.verify_key), "MSP_STATE_DIR": str(state_dir),
                    "PYTHONPATH": str(REPO)})
        env.update(extra)
        return env

    def stop(self) -> None:
        """Stop the stub."""
        self.proc.terminate()
        self.proc.wait(timeout=30)


def rss_kib() -> int:
    """This process's resident set size in KiB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")
