"""A local stand-in for the Anthropic Messages API, so the demo's L2 tier runs its real provider path.

The real `anthropic` SDK in Central Command talks to this server on 127.0.0.1 through `base_url`:
no key, nothing leaves the machine. It answers like a careful planner: the candidate runbook whose
check type matches the incident, with a confidence that reflects how clear the facts are, and token
usage of a realistic size so the L2 spend the reports show is what real calls would have cost.
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STANDIN_KEY = "sk-ant-local-standin-" + "0" * 24
_BLOCK = re.compile(r"<(runbooks|incident)>\n(.*?)\n</\1>", re.DOTALL)


def choose(user_text: str, rng: random.Random) -> tuple[dict[str, Any], int, int]:
    """The tool input a careful planner would give for this prompt, and its token usage."""
    blocks = {name: body for name, body in _BLOCK.findall(user_text)}
    try:
        candidates = json.loads(blocks.get("runbooks", "[]"))
        incident = json.loads(blocks.get("incident", "{}"))
    except ValueError:
        candidates, incident = [], {}
    fitting = [c for c in candidates if isinstance(c, dict) and c.get("check_type") == incident.get("check_type")
               and c.get("platform") == incident.get("platform")]
    tokens_in = 600 + len(user_text) // 4
    tokens_out = rng.randint(90, 200)
    if not fitting:
        return {"runbook_id": None, "reasoning": "no candidate fits this drift", "confidence": 0.2}, tokens_in, 60
    chosen = fitting[0]
    confidence = round(rng.uniform(0.78, 0.97), 2)
    reasoning = f"{incident.get('check_type')} drift on {incident.get('platform')}: {chosen.get('name')}."
    return {"runbook_id": chosen["id"], "reasoning": reasoning, "confidence": confidence}, tokens_in, tokens_out


class LlmStandin:
    """The server; `base_url` is what Central Command's L2 settings point at."""

    def __init__(self, seed: int = 0):
        self._rng = random.Random(f"llm:{seed}")
        self._lock = threading.Lock()
        self.calls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="llm-standin", daemon=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LlmStandin:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """A Messages API response to one request body."""
        messages = body.get("messages") or [{}]
        content = messages[0].get("content", "") if isinstance(messages[0], dict) else ""
        with self._lock:
            self.calls += 1
            tool_input, tokens_in, tokens_out = choose(content if isinstance(content, str) else "", self._rng)
        return {"id": "msg_" + uuid.uuid4().hex[:20], "type": "message", "role": "assistant",
                "model": body.get("model", ""), "stop_reason": "tool_use", "stop_sequence": None,
                "content": [{"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:20], "name": "choose_runbook",
                             "input": tool_input}],
                "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}}


def _handler(state: LlmStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # the demo's own display says what happens
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
            if self.path.split("?")[0] != "/v1/messages":
                return self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": "no"}})
            try:
                body = json.loads(raw)
            except ValueError:
                return self._send(400, {"type": "error",
                                        "error": {"type": "invalid_request_error", "message": "bad JSON"}})
            return self._send(200, state.answer(body))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_" + uuid.uuid4().hex[:12])
            self.end_headers()
            self.wfile.write(data)

    return Handler
