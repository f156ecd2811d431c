"""Central Command for the demo: the real FastAPI app under uvicorn, in a thread, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass

import httpx
import uvicorn


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningCentral:
    """A Central Command serving on 127.0.0.1 until `stop()`."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Shut down gracefully and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_central(database_url: str, home: str, *, timeout: float = 60.0) -> RunningCentral:
    """Serve the real app (migrations applied at start) and return once `/readyz` answers 200."""
    from serving.app import create_app
    from serving.settings import Settings

    # Simulated appliances run many cycles a second; the per-appliance limit is for real ones.
    settings = Settings(database_url=database_url, home=home, rate_limit_per_second=100_000,
                        rate_limit_burst=100_000, pool_max_size=8)
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="central", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("Central Command stopped while starting (see the log above)")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return RunningCentral(url, server, thread)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.should_exit = True
    raise RuntimeError(f"Central Command did not become ready within {timeout:.0f} s")
