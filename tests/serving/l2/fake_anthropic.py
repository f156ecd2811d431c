"""A local server speaking the Anthropic Messages API on 127.0.0.1, with scripted answers and failures.

The real `anthropic` SDK talks to it through `base_url`, so the SDK's own request building, auth
headers, retries, timeouts and response parsing are what the tests exercise. Each request pops the
next step of the script (the last step repeats); every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-ant-test-" + "k" * 24


@dataclass
class Step:
    """One scripted reply: a tool call, plain text, an HTTP error, or a delay before any of them."""

    kind: str  # "tool" | "text" | "error"
    tool_input: Any = None
    text: str = ""
    status: int = 200
    error_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    input_tokens: int = 1200
    output_tokens: int = 80


def tool(runbook_id: str | None, confidence: float = 0.9, reasoning: str = "fits", **extra: Any) -> Step:
    """A well-formed `choose_runbook` call."""
    return Step("tool", tool_input={"runbook_id": runbook_id, "reasoning": reasoning,
                                    "confidence": confidence, **extra})


def error(status: int, error_type: str, **headers: str) -> Step:
    """An API error body with this status, as the real API shapes it."""
    return Step("error", status=status, error_type=error_type, headers=headers)


@dataclass
class Recorded:
    """One request the server saw."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeAnthropic:
    """The server's state: the script and what it received."""

    def __init__(self, script: list[Step]):
        self.script = list(script)
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.base_url = ""

    def next_step(self) -> Step:
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def user_text(self, i: int = -1) -> str:
        """The user turn of request i."""
        return self.requests[i].body["messages"][0]["content"]


def _message(step: Step, model: str) -> dict[str, Any]:
    if step.kind == "tool":
        content = [{"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:20], "name": "choose_runbook",
                    "input": step.tool_input}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": step.text or "I would rather explain in prose."}]
        stop = "end_turn"
    return {"id": "msg_" + uuid.uuid4().hex[:20], "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": step.input_tokens, "output_tokens": step.output_tokens}}


def _handler(state: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_" + uuid.uuid4().hex[:12])
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length", 0))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            state.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            auth = self.headers.get("authorization", "")
            if self.path != "/v1/messages":
                return self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
            if auth != f"Bearer {API_KEY}" and self.headers.get("x-api-key") != API_KEY:
                return self._send(401, {"type": "error",
                                        "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
            step = state.next_step()
            if step.delay:
                time.sleep(step.delay)
            if step.kind == "error":
                return self._send(step.status, {"type": "error", "error": {"type": step.error_type,
                                                                           "message": step.error_type}},
                                  step.headers)
            self._send(200, _message(step, body.get("model", "claude-sonnet-5-5")))

    return Handler


@contextmanager
def serve(script: list[Step]) -> Iterator[FakeAnthropic]:
    """Run the server on a free 127.0.0.1 port for the duration of the block."""
    state = FakeAnthropic(script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False  # a request still sleeping past a timeout must not hold teardown
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
