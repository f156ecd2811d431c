"""The evidence WebSocket over a real uvicorn server on 127.0.0.1, with a real WebSocket client: new
bundles and anchors (announced from another connection, as the pipelines do) arrive live; only admin
and auditor tokens get in."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from serving.app import create_app
from serving.services.auth import Role, create_token
from serving.services.evidence_stream import LAGGED, QUEUE_SIZE, Subscriber
from tests.serving import factories
from tests.serving.conftest import make_settings
from warehouse.evidence import store

pytestmark = pytest.mark.e2e


@dataclass
class Live:
    """A uvicorn server in a thread, a client to it, and an admin token."""

    http: str
    ws: str
    client: httpx.AsyncClient
    admin: str
    db_url: str

    async def token(self, role: str, sites: list[str] | None = None) -> str:
        import uuid

        conn = await asyncpg.connect(self.db_url)
        try:
            _, secret = await create_token(conn, Role(role), [uuid.UUID(s) for s in sites or []])
        finally:
            await conn.close()
        return secret


@pytest.fixture
async def live(db_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    app = create_app(make_settings(db_url, tmp_path))
    # ws="auto", as `osiris serve` runs it
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    http = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=http, timeout=30) as client:
        handle = Live(http, f"ws://127.0.0.1:{port}", client, "", db_url)
        handle.admin = await handle.token("admin")
        yield handle
    server.should_exit = True
    await asyncio.to_thread(thread.join, 15)


async def _next(ws, kind: str) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
        if message["type"] == kind:
            return message


async def test_stream_announces_bundles_and_anchors_live(live):
    sid = await factories.site(live.client, live.admin)
    appliance = await factories.appliance(live.client, live.admin, sid)
    auditor = await live.token("auditor")
    async with connect(f"{live.ws}/api/evidence/stream?token={auditor}") as ws:
        hello = json.loads(await ws.recv())
        assert hello == {"type": "hello", "site_id": None, "role": "auditor"}
        events = [factories.evidence_event(appliance, target=f"pc-{n}", result="fail") for n in range(3)]
        r = await live.client.post("/api/agent/telemetry", json={"events": events}, headers=appliance.headers)
        assert r.status_code == 200, r.text
        got = [await _next(ws, "bundle") for _ in range(3)]
        assert [(m["seq"], m["bundle_id"], m["target"], m["result"]) for m in got] == [
            (n, events[n]["event_id"], f"pc-{n}", "fail") for n in range(3)]
        assert all(m["site_id"] == sid and len(m["chain_hash"]) == 64 for m in got)
        conn = await asyncpg.connect(live.db_url)
        try:
            async with conn.transaction():
                await store.notify(conn, {"type": "anchor", "site_id": sid, "batch_id": "b-1", "block_height": 900000})
        finally:
            await conn.close()
        anchor = await _next(ws, "anchor")
        assert (anchor["batch_id"], anchor["block_height"]) == ("b-1", 900000)


async def test_stream_site_filter_and_header_auth(live):
    mine, other = [await factories.site(live.client, live.admin, name) for name in ("A", "B")]
    appliances = {s: await factories.appliance(live.client, live.admin, s) for s in (mine, other)}
    headers = {"Authorization": f"Bearer {live.admin}"}
    async with connect(f"{live.ws}/api/evidence/stream?site_id={mine}", additional_headers=headers) as ws:
        assert json.loads(await ws.recv())["site_id"] == mine
        for site in (other, mine):
            a = appliances[site]
            r = await live.client.post("/api/agent/telemetry", json={"events": [factories.evidence_event(a)]},
                                       headers=a.headers)
            assert r.status_code == 200
        message = await _next(ws, "bundle")
        assert message["site_id"] == mine  # site B's bundle, committed first, never reached this subscriber


@pytest.mark.parametrize(("who", "status"), [("nobody", 401), ("garbage", 401), ("partner", 403),
                                             ("appliance", 403), ("bad-site", 400)])
async def test_stream_refuses_everyone_else(live, who, status):
    sid = await factories.site(live.client, live.admin)
    appliance = await factories.appliance(live.client, live.admin, sid)
    query = {"nobody": "", "garbage": "?token=ost_nobody-issued-this",
             "partner": f"?token={await live.token('partner', [sid])}", "appliance": f"?token={appliance.api_key}",
             "bad-site": f"?token={live.admin}&site_id=not-a-uuid"}[who]
    with pytest.raises(InvalidStatus) as caught:
        async with connect(f"{live.ws}/api/evidence/stream{query}"):
            pass
    assert caught.value.response.status_code == status


async def test_stream_survives_its_database_connection_being_killed(live):
    sid = await factories.site(live.client, live.admin)
    appliance = await factories.appliance(live.client, live.admin, sid)
    conn = await asyncpg.connect(live.db_url)
    listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
    try:
        async with connect(f"{live.ws}/api/evidence/stream?token={live.admin}") as ws:
            await ws.recv()
            (old,) = [r["pid"] for r in await conn.fetch(listeners)]
            await conn.execute("SELECT pg_terminate_backend($1)", old)
            for _ in range(200):  # the hub notices and listens again on a fresh connection
                pids = [r["pid"] for r in await conn.fetch(listeners)]
                if pids and old not in pids:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the stream did not listen again")
            event = factories.evidence_event(appliance)
            r = await live.client.post("/api/agent/telemetry", json={"events": [event]}, headers=appliance.headers)
            assert r.status_code == 200
            assert (await _next(ws, "bundle"))["bundle_id"] == event["event_id"]
    finally:
        await conn.close()


def test_subscriber_that_falls_behind_is_told_and_dropped():
    sub = Subscriber(None)
    for n in range(QUEUE_SIZE + 5):
        sub.offer({"type": "bundle", "site_id": "s", "seq": n})
    items = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert sub.dropped and len(items) == QUEUE_SIZE and items[-1] is LAGGED
    sub.offer({"type": "bundle", "site_id": "s", "seq": -1})
    assert sub.queue.empty()
    only_a = Subscriber("a")
    only_a.offer({"type": "bundle", "site_id": "b"})
    assert only_a.queue.empty()
