"""An overall deadline for one synchronous httpx request, however slowly the peer sends its bytes.

httpx timeouts bound each network operation, not the request: a peer that sends one byte every few
seconds keeps every read inside its timeout and holds the caller for as long as it likes. The guard
starts a timer with the request and learns the request's socket from httpx's `trace` extension as
the connection opens; when the timer fires it shuts the socket down, the blocked read returns, httpx
raises, and `expired` tells the caller the deadline was the cause.

The socket is learned as a connection opens, so use it on a client that does not keep connections
alive (`httpx.Limits(max_keepalive_connections=0)`): every request then opens its own.
"""

from __future__ import annotations

import socket
import threading
from typing import Any


class RequestDeadline:
    """Pass `extensions` to the request; inside `with guard:` the request lasts at most `seconds`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def extensions(self) -> dict[str, Any]:
        """The request extensions that let the guard see the connection's socket."""
        return {"trace": self._trace}

    def __enter__(self) -> RequestDeadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._sock = sock  # after TLS, the wrapping socket is the one reads block on
            late = self.expired
        if late:
            self._cut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
        self._cut()

    def _cut(self) -> None:
        with self._lock:
            sock = self._sock
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: the request is over anyway
