"""A bitcoind stand-in on 127.0.0.1: real HTTP JSON-RPC with basic auth, answering from header entries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeBitcoind:
    """Answers getblockhash / getblockheader from {height: header entry}."""

    def __init__(self, entries: dict, *, lie: bool = False):
        self.entries = {k: v for k, v in entries.items() if not k.startswith("_")}
        self.lie, self.auth = lie, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                server.auth.append(self.headers.get("Authorization"))
                call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                result, error = server.answer(call["method"], call["params"])
                body = json.dumps({"result": result, "error": error, "id": call["id"]}).encode()
                self.send_response(200 if error is None else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://rpcuser:s3cret@127.0.0.1:{self.http.server_address[1]}/"
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, method: str, params: list):
        """(result, error) for one call; `lie` flips a byte of every header it serves."""
        if method == "getblockhash":
            entry = self.entries.get(str(params[0]))
            if entry is None:
                return None, {"code": -8, "message": "Block height out of range"}
            return entry["hash"], None
        if method == "getblockheader":
            entry = next(e for e in self.entries.values() if e["hash"] == params[0])
            raw = bytearray.fromhex(entry["header_hex"])
            if self.lie:
                raw[40] ^= 1
            return raw.hex(), None
        return None, {"code": -32601, "message": "Method not found"}

    def close(self) -> None:
        """Stop serving."""
        self.http.shutdown()
        self.http.server_close()
