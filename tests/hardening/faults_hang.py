"""A peer on 127.0.0.1 that never answers: it accepts, reads what it is sent, and keeps the line open.

Two ways of never answering:
- `"silent"`: not one byte back;
- `"drip"`: a status line, then one header byte every `interval` seconds, forever. Each read on the
  client finishes well inside a per-read timeout, so only an overall deadline stops the request.
"""

from __future__ import annotations

import socket
import threading
import time


class HangingServer:
    """Accepts connections and never completes an answer; `connections` counts who came."""

    def __init__(self, mode: str = "silent", *, interval: float = 0.2):
        if mode not in ("silent", "drip"):
            raise ValueError(mode)
        self.mode, self.interval = mode, interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._open: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """Base URL of the hanging peer."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HangingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting and drop every held connection."""
        self._closed.set()
        self._listener.close()
        for conn in list(self._open):
            try:
                conn.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        conn.settimeout(self.interval)
        dripping = False
        try:
            while not self._closed.is_set():
                try:
                    if not conn.recv(65536) and not dripping:
                        return  # the client gave up and closed
                except TimeoutError:
                    pass
                if self.mode == "drip":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: " if not dripping else b"a")
                    dripping = True
                    time.sleep(self.interval)
        except OSError:
            return
