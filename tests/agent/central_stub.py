"""A small, real Central Command for agent tests: HTTP on 127.0.0.1, in-memory state, restartable.

It speaks the contract models (`contracts.api`, `contracts.telemetry`) exactly as the serving app
does, signs orders and bundles with a real Ed25519 key, and records everything it received so tests
can count events (exactly once) and acknowledgements. The e2e tests run the real `serving` app.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import nacl.signing
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request, Response

from contracts.api import CheckinRequest, CheckinResponse, L2PlanRequest, OrderAck
from contracts.bundles import sign_bundle
from contracts.envelope import dump_verify_key, envelope_digest
from contracts.incidents import utcnow
from contracts.orders import sign_order
from contracts.telemetry import TelemetryAck, TelemetryBatch


@dataclass
class CentralState:
    """Everything the stub knows and has seen."""

    api_key: str = "test-api-key-0123456789"
    site_id: str = "site-0001"
    appliance_id: str = "00000000-0000-4000-8000-000000000001"
    signing_key: nacl.signing.SigningKey = field(default_factory=nacl.signing.SigningKey.generate)
    bundle: bytes | None = None
    pending_orders: list[dict] = field(default_factory=list)
    events: dict[tuple[str, str], dict] = field(default_factory=dict)  # (kind, event_id) -> first copy
    received: list[tuple[str, str]] = field(default_factory=list)  # every (kind, id) in every batch
    batches: int = 0
    acks: list[tuple[str, str, dict]] = field(default_factory=list)  # (order_id, step, body)
    checkins: list[dict] = field(default_factory=list)
    keys: dict | None = None
    l2: Callable[[dict], dict] | None = None  # None: 404 like a Central Command without L2
    l2_requests: list[dict] = field(default_factory=list)
    fail_status: int | None = None  # answer every appliance call with this status
    telemetry_status: int | None = None  # answer telemetry with this status

    @property
    def public_key_text(self) -> str:
        """The server's public key file text (what MSP_SERVER_PUBKEY holds)."""
        return dump_verify_key(self.signing_key.verify_key)

    def publish(self, rules: list[dict], version: int, *, expires_in: timedelta = timedelta(days=30),
                key: nacl.signing.SigningKey | None = None) -> bytes:
        """Sign and serve a bundle."""
        self.bundle = sign_bundle(rules, version=version, signing_key=key or self.signing_key, expires_in=expires_in)
        return self.bundle

    def order(self, order_type: str, params: dict | None = None, *, target: str | None = "self",
              ttl: timedelta = timedelta(hours=1), key: nacl.signing.SigningKey | None = None, **kw: Any) -> dict:
        """Sign an order and queue it for the next check-in; returns the envelope dict."""
        import json

        _, env = sign_order(order_type, params or {}, signing_key=key or self.signing_key,
                            target_appliance_id=self.appliance_id if target == "self" else target, ttl=ttl, **kw)
        envelope = json.loads(env)
        self.pending_orders.append(envelope)
        return envelope

    def kinds(self) -> dict[str, int]:
        """Distinct events received, counted by kind."""
        out: dict[str, int] = {}
        for ev in self.events.values():
            out[ev["kind"]] = out.get(ev["kind"], 0) + 1
        return out


def build_app(state: CentralState) -> FastAPI:
    """The stub's FastAPI app over one state object."""
    app = FastAPI()

    def auth(authorization: str | None) -> None:
        if state.fail_status:
            raise HTTPException(state.fail_status, "stub failure")
        if authorization != f"Bearer {state.api_key}":
            raise HTTPException(401, "bad api key")

    @app.post("/api/appliances/checkin")
    def checkin(body: CheckinRequest, authorization: str | None = Header(None)) -> CheckinResponse:
        auth(authorization)
        state.checkins.append(body.model_dump())
        orders, state.pending_orders = state.pending_orders, []
        digest = envelope_digest(state.bundle) if state.bundle else None
        version = _version(state.bundle) if state.bundle else None
        return CheckinResponse(appliance_id=state.appliance_id, site_id=state.site_id, server_time=utcnow(),
                               bundle_version=version, bundle_digest=digest, orders=orders)

    @app.get("/api/agent/sync")
    def sync(authorization: str | None = Header(None), if_none_match: str | None = Header(None)) -> Response:
        auth(authorization)
        if state.bundle is None:
            raise HTTPException(404, "no bundle")
        digest = envelope_digest(state.bundle)
        if if_none_match and if_none_match.strip('"') == digest:
            return Response(status_code=304)
        return Response(state.bundle, media_type="application/json", headers={"ETag": f'"{digest}"'})

    @app.post("/api/agent/telemetry")
    def telemetry(body: TelemetryBatch, authorization: str | None = Header(None)) -> TelemetryAck:
        auth(authorization)
        if state.telemetry_status:
            raise HTTPException(state.telemetry_status, "stub telemetry failure")
        state.batches += 1
        new = dup = 0
        for ev in body.events:
            key = (ev.kind.value, ev.event_id)  # unique per kind, as the serving tables are
            state.received.append(key)
            if key in state.events:
                dup += 1
            else:
                state.events[key] = ev.model_dump(mode="json")
                new += 1
        return TelemetryAck(accepted=new, duplicates=dup)

    @app.post("/api/orders/{order_id}/{step}")
    def order_step(order_id: str, step: str, body: OrderAck, authorization: str | None = Header(None)) -> dict:
        auth(authorization)
        state.acks.append((order_id, step, body.model_dump()))
        return {"order_id": order_id, "status": body.status}

    @app.post("/api/agent/l2/plan")
    async def l2_plan(request: Request, authorization: str | None = Header(None)) -> dict:
        auth(authorization)
        body = L2PlanRequest.model_validate(await request.json())
        state.l2_requests.append(body.model_dump(mode="json"))
        if state.l2 is None:
            raise HTTPException(404, "Not Found")
        return state.l2(body.model_dump(mode="json"))

    @app.put("/api/appliances/me/keys")
    def keys(body: dict, authorization: str | None = Header(None)) -> dict:
        auth(authorization)
        state.keys = body
        return {"ok": True}

    return app


def _version(envelope: bytes) -> int | None:
    import base64
    import json

    try:
        return json.loads(base64.b64decode(json.loads(envelope)["payload"]))["version"]
    except (ValueError, KeyError, TypeError):
        return None  # a deliberately broken bundle: advertise its digest only


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1; stop and start again on the same port."""

    def __init__(self, app: Any, port: int | None = None, *, ssl: dict | None = None):
        self.app = app
        self.port = port or free_port()
        self.ssl = ssl or {}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL."""
        return f"{'https' if self.ssl else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        """Start serving; returns once the socket accepts connections."""
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                **self.ssl)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = None


def main() -> None:
    """Serve the stub in the foreground: `python -m tests.agent.central_stub PORT SEED_HEX` (benchmarks)."""
    import sys

    port, seed = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
    state = CentralState(signing_key=nacl.signing.SigningKey(seed))
    uvicorn.run(build_app(state), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
