"""An HTTP/1.1 relay on 127.0.0.1 that can kill the server behind it at an exact point of a request.

The agent talks to the relay; the relay forwards each request to Central Command and its answer
back. Armed with `kill_on(path, nth, when)`, the nth request to `path` instead:

- `"mid_body"`: forwards the head and half the body, then calls `kill()` (the server dies while
  reading the request: nothing of it can be committed);
- `"before_answer"`: forwards the whole request, waits for the first byte of the answer (the server
  has committed by then), then calls `kill()` and drops the answer (committed but never acknowledged).

Either way the agent's connection is closed without an answer, as a crashed server leaves it.
Requests are framed by Content-Length (what httpx sends and uvicorn answers with).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


def _read_head(sock: socket.socket, buffer: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_body(sock: socket.socket, buffer: bytearray, length: int) -> bytes | None:
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    body = bytes(buffer[:length])
    del buffer[:length]
    return body


class KillingRelay:
    """Relays 127.0.0.1:port → upstream; kills the upstream at the armed point of the armed request."""

    def __init__(self, upstream_port: int, kill: Callable[[], None]):
        self.upstream_port = upstream_port
        self.kill = kill
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._plan: tuple[str, int, str] | None = None
        self._seen = 0
        self.fired = threading.Event()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """Where the agent should send its requests."""
        return f"http://127.0.0.1:{self.port}"

    def kill_on(self, path: str, nth: int, when: str) -> None:
        """Arm: the nth request (1-based) to `path` from now kills the server at `when`."""
        if when not in ("mid_body", "before_answer"):
            raise ValueError(when)
        with self._lock:
            self._plan, self._seen = (path, nth, when), 0
            self.fired.clear()

    def close(self) -> None:
        """Stop accepting connections."""
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _armed(self, head: bytes) -> str | None:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            if self._plan is None:
                return None
            path, nth, when = self._plan
            if request_line.split(" ")[1].split("?")[0] != path:
                return None
            self._seen += 1
            if self._seen != nth:
                return None
            self._plan = None
            return when

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        into, back = bytearray(), bytearray()
        try:
            while True:
                head = _read_head(client, into)
                if head is None:
                    return
                body = _read_body(client, into, _content_length(head))
                if body is None:
                    return
                if upstream is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
                when = self._armed(head)
                if when == "mid_body":
                    upstream.sendall(head + body[: len(body) // 2])
                    time.sleep(0.2)  # the server is now inside the request, waiting for the rest
                    self._fire()
                    return
                upstream.sendall(head + body)
                if when == "before_answer":
                    upstream.recv(1, socket.MSG_PEEK)  # the answer is on its way: the batch is committed
                    self._fire()
                    return
                answer = _read_head(upstream, back)
                if answer is None:
                    return
                rest = _read_body(upstream, back, _content_length(answer))
                if rest is None:
                    return
                client.sendall(answer + rest)
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def _fire(self) -> None:
        self.kill()
        self.fired.set()
