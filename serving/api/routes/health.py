"""Liveness, readiness and Prometheus metrics: the only routes that need no credentials."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Request, Response

from serving.deps import MetricsDep
from serving.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    """The database answers; 503 until it does."""
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        raise ServiceUnavailable("database pool not open yet")
    try:
        await pool.fetchval("SELECT 1", timeout=2)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise ServiceUnavailable(f"database not reachable: {type(exc).__name__}") from exc
    return {"status": "ready"}


@router.get("/metrics")
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text exposition."""
    from serving.metrics import CONTENT_TYPE

    return Response(metrics.render(), media_type=CONTENT_TYPE)
