"""Escalations people see and close: `GET /api/escalations`, `POST /api/escalations/{id}/resolve`.

The router's lifespan owns the process's escalation engine (`app.state.l3_engine`, from the
`OSIRIS_L3_*` settings unless a test put one there), registers the telemetry ingest hook through
which appliances' escalations and healed outcomes arrive, and runs the sweep that recovers missed
rows and delivers queued escalations once a channel is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from serving.deps import PoolDep, ReadUser, WriteUser
from serving.l3 import engine as l3
from serving.l3 import follow, store
from serving.services import telemetry
from warehouse.rows import _uid

log = logging.getLogger("osiris.serving.l3")

Status = Literal["open", "queued", "notified", "failed", "acknowledged", "resolved"]


class AttemptPublic(BaseModel):
    """One delivery attempt on one channel."""

    channel: str
    action: str
    attempt: int
    ok: bool
    retryable: bool
    status_code: int | None
    response: str
    error: str | None
    retry_after_s: float | None
    latency_ms: float
    attempted_at: datetime


class EscalationPublic(BaseModel):
    """An escalation as people see it: repeats folded in (`occurrences`), with every delivery attempt."""

    model_config = ConfigDict(extra="ignore")

    id: str
    site_id: str
    site_name: str = ""
    incident_id: str
    dedup_key: str | None
    host: str
    check_type: str
    severity: str
    reason: str
    details: dict[str, Any]
    status: str
    occurrences: int
    channels: list[str]
    requested_at: datetime
    last_seen_at: datetime | None
    notified_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    attempts: list[AttemptPublic] = Field(default_factory=list)


class EscalationResolve(BaseModel):
    """`POST /api/escalations/{id}/resolve` (the body may be empty)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


async def _sweep(app: FastAPI) -> None:
    while True:
        engine: l3.Engine = app.state.l3_engine
        await asyncio.sleep(engine.settings.queue_sweep_s)
        try:
            handled = await follow.sweep(app.state.pool, engine)
            if handled:
                log.info("escalation sweep handled %d escalations", handled)
        except Exception:  # noqa: BLE001 - the sweep must outlive a database or channel hiccup
            log.exception("escalation queue sweep failed; retrying next interval")


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if getattr(app.state, "l3_engine", None) is None:
        app.state.l3_engine = l3.Engine()
    hook = telemetry.add_hook(follow.make_hook(lambda: app.state.l3_engine))
    sweeper = asyncio.create_task(_sweep(app))
    try:
        yield
    finally:
        telemetry.remove_hook(hook)
        sweeper.cancel()
        await app.state.l3_engine.close()


router = APIRouter(prefix="/api/escalations", tags=["escalations"], lifespan=_lifespan)


def _engine(request: Request) -> l3.Engine:
    engine = getattr(request.app.state, "l3_engine", None)
    if engine is None:
        engine = request.app.state.l3_engine = l3.Engine()
    return engine


EngineDep = Annotated[l3.Engine, Depends(_engine)]


@router.get("")
async def list_escalations(
    pool: PoolDep,
    user: ReadUser,
    site_id: str | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[EscalationPublic]:
    """Escalations newest first, queued ones included; a partner sees its own sites only."""
    sites: list[uuid.UUID] | None = user.sites_filter()
    if site_id is not None:
        sid = _uid(site_id, "site_id")
        user.check_read(sid)
        sites = [sid]
    rows = await store.listing(pool, sites, status, limit, offset)
    return [EscalationPublic.model_validate(r) for r in rows]


@router.post("/{escalation_id}/resolve")
async def resolve_escalation(
    escalation_id: str, pool: PoolDep, user: WriteUser, engine: EngineDep, body: EscalationResolve | None = None
) -> EscalationPublic:
    """Close an escalation: PagerDuty gets `resolve`, the other channels told get a follow-up; 409 if closed."""
    row = await store.get(pool, _uid(escalation_id, "escalation_id"))
    user.check_write(row["site_id"])
    by = user.label + (f": {body.note}" if body and body.note else "")
    done = await l3.resolve(pool, row["id"], by=by, engine=engine)
    done["site_name"] = await store.site_name(pool, row["site_id"])
    return EscalationPublic.model_validate(done)
