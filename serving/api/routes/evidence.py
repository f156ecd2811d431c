"""Evidence: a site's chain status (`GET /api/sites/{site_id}/evidence/chain`) and the live stream
(`/api/evidence/stream`, a WebSocket for admins and auditors) of new bundles and confirmed anchors.

The chain status walks the stored chain in one read-only snapshot, verifying every entry as an
auditor's offline check would (signature, content hash, link to the entry before, no missing seq).
The stream authenticates with the same tokens as every route: `Authorization: Bearer …`, or
`?token=…` for browsers, which cannot set WebSocket headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, WebSocket
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.websockets import WebSocketDisconnect

from serving.deps import PoolDep, ReadableSite
from serving.errors import BadRequest, Forbidden, NotFound, ServingError, Unauthorized
from serving.services.auth import Role, User, authenticate
from serving.services.evidence_stream import LAGGED, EvidenceHub
from warehouse.errors import InvalidIdError
from warehouse.evidence import store
from warehouse.rows import _uid
from warehouse.sql_files import sql

DEFAULT_LIMIT = 100_000
"""Entries one status request verifies unless it asks for more (`complete` says whether it reached the head)."""


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        hub = getattr(app.state, "evidence_hub", None)
        if hub is not None:
            await hub.close()


router = APIRouter(tags=["evidence"], lifespan=_lifespan)


class MissingBundle(BaseModel):
    """A sequence number missing from the chain, and the bundle its Merkle batch recorded there (if batched)."""

    seq: int
    bundle_id: str | None
    batch_id: str | None


class ChainBreakPublic(BaseModel):
    """One place the chain does not hold, naming the bundle where it shows."""

    bundle_id: str
    seq: int
    kind: Literal["altered", "gap", "prev_mismatch", "genesis", "order", "site"]
    detail: str
    missing: list[MissingBundle] | None = None


class BatchCounts(BaseModel):
    """The site's Merkle batches by stamp status, and how far the chain is anchored."""

    batches: int
    unstamped: int
    pending: int
    confirmed: int
    batched_up_to: int | None
    confirmed_up_to: int | None
    block_height: int | None


class ChainStatus(BaseModel):
    """A site's evidence chain: its length and head, how far it verifies, and every break found."""

    site_id: str
    length: int
    head_hash: str
    last_bundle_at: datetime | None
    checked_from: int
    checked: int
    complete: bool
    intact: bool
    verified_up_to: int | None
    break_count: int
    breaks: list[ChainBreakPublic]
    batches: BatchCounts


@router.get("/api/sites/{site_id}/evidence/chain")
async def chain_status(
    site_id: ReadableSite,
    pool: PoolDep,
    from_seq: Annotated[int, Query(ge=0, description="Verify from this seq (0: from genesis).")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000_000, description="Verify at most this many entries.")] = DEFAULT_LIMIT,
) -> ChainStatus:
    """Verify the site's chain and say how far it holds; a deleted or altered bundle is a named break."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if not await conn.fetchval(sql("evidence/site_exists"), site_id):
            raise NotFound("site", site_id)
        return ChainStatus.model_validate(await store.walk(conn, site_id, from_seq=from_seq, limit=limit))


# --- the stream --------------------------------------------------------------------------------------


def _hub(app: FastAPI) -> EvidenceHub:
    hub = getattr(app.state, "evidence_hub", None)
    if hub is None:
        hub = app.state.evidence_hub = EvidenceHub(app.state.pool)
    return hub


async def _stream_user(websocket: WebSocket, token: str | None) -> User:
    header = websocket.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    secret = credential.strip() if scheme.lower() == "bearer" and credential.strip() else token
    if not secret:
        raise Unauthorized("missing credentials: send Authorization: Bearer <token> or ?token=<token>")
    principal = await authenticate(websocket.app.state.pool, secret)
    if not isinstance(principal, User) or principal.role not in (Role.ADMIN, Role.AUDITOR):
        raise Forbidden("the evidence stream is for admin and auditor tokens")
    return principal


async def _deny(websocket: WebSocket, exc: ServingError) -> None:
    response = JSONResponse({"detail": exc.message}, status_code=exc.status_code)
    try:
        await websocket.send_denial_response(response)
    except RuntimeError:  # the server lacks the denial extension: a plain refusal (HTTP 403) instead
        await websocket.close(code=1008, reason=exc.message[:120])


async def _pump(websocket: WebSocket, queue: asyncio.Queue) -> None:
    async def send() -> None:
        while True:
            message: dict[str, Any] = await queue.get()
            await websocket.send_json(message)
            if message is LAGGED:
                await websocket.close(code=1013, reason="fell behind; reconnect")
                return

    async def receive() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass  # the stream is one-way; anything a client sends is ignored

    tasks = [asyncio.create_task(send()), asyncio.create_task(receive())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task


@router.websocket("/api/evidence/stream")
async def evidence_stream(websocket: WebSocket, site_id: str | None = None, token: str | None = None) -> None:
    """New bundles (`{"type": "bundle", …}`) and confirmed anchors (`{"type": "anchor", …}`) as they commit."""
    try:
        user = await _stream_user(websocket, token)
        site: uuid.UUID | None = _uid(site_id, "site_id") if site_id else None
    except ServingError as exc:
        await _deny(websocket, exc)
        return
    except InvalidIdError as exc:
        await _deny(websocket, BadRequest(str(exc)))
        return
    hub = _hub(websocket.app)
    subscriber = await hub.subscribe(site)
    try:
        await websocket.accept()
        await websocket.send_json({"type": "hello", "site_id": str(site) if site else None, "role": user.role.value})
        await _pump(websocket, subscriber.queue)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away
    finally:
        await hub.unsubscribe(subscriber)
