"""Central Command's FastAPI app: `create_app(settings)` assembles the routers around one service layer.

The lifespan loads (or makes) the server signing key, applies migrations, opens the asyncpg pool and
runs the order-expiry sweep. L2 and L3 plug in by shipping `serving/l2/routes.py` or
`serving/l3/routes.py` with a `router` (an APIRouter, optionally with its own `lifespan`): they are
included when present, and `app.state.pool` / `app.state.signing_key` are open by the time they run.
gRPC plugs in the same way: `serving/grpc/server.py` with `async def start(app, port)` returning an
async `stop()` callable; the lifespan calls it when `settings.grpc_port` is set.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from serving.api import handlers
from serving.api.routes import (
    appliances,
    bundles,
    checkin,
    compliance,
    credentials,
    cves,
    frameworks,
    health,
    keys,
    orders,
    sites,
    telemetry,
)
from serving.bodylimit import BodyLimitMiddleware
from serving.metrics import Metrics, MetricsMiddleware
from serving.models import ErrorBody
from serving.ratelimit import TokenBucket
from serving.security import load_or_create_signing_key
from serving.services.orders import expire_stale
from serving.settings import Settings
from warehouse.migrate import apply_migrations
from warehouse.pg import create_pool, embedded_url

log = logging.getLogger("osiris.serving")

ROUTERS = (health, sites, appliances, credentials, checkin, bundles, telemetry, orders, keys, cves, frameworks,
           compliance)
OPTIONAL_ROUTERS = ("serving.l2.routes", "serving.l3.routes", "serving.api.routes.enrollment",
                    "serving.api.routes.flywheel", "serving.api.routes.evidence")
"""Modules other areas add later; each exposes `router`. Absent ones are skipped."""
GRPC_MODULE = "serving.grpc.server"

ERROR_RESPONSES: dict[int | str, dict] = {
    "4XX": {"model": ErrorBody, "description": "Refused: 400 bad input, 401/403 credentials, 404 (names the id), "
            "409 conflict, 413 too large, 429 rate limited (see Retry-After)"},
    503: {"model": ErrorBody, "description": "The database is unreachable right now; retry after Retry-After"},
}
"""Declared on every operation: what the one error handler really answers. (Declaring `4XX` also stops
FastAPI from documenting a 422 this app never sends: bad input is a 400.)"""


def _optional(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the module itself (or its package) being absent means "not built": a missing
        # dependency inside a module that exists is a real error and must surface.
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def grpc_available() -> bool:
    """True once the gRPC servicer exists in this build."""
    return _optional(GRPC_MODULE) is not None


async def _sweep_orders(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    while True:
        await asyncio.sleep(settings.order_sweep_seconds)
        try:
            app.state.metrics.orders_expired.inc(await expire_stale(app.state.pool))
        except Exception:  # noqa: BLE001 - the sweep must outlive a database hiccup
            log.exception("order expiry sweep failed; retrying next interval")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.signing_key = load_or_create_signing_key(settings.signing_key_file())
    url = settings.database_url or await asyncio.to_thread(embedded_url, settings.home.expanduser() / "pg")
    if settings.migrate_on_start:
        await apply_migrations(url)
    app.state.pool = await create_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings={"timezone": "UTC", "application_name": "osiris-serving"},
    )
    sweeper = asyncio.create_task(_sweep_orders(app))
    grpc_stop = None
    if settings.grpc_port is not None:
        grpc = _optional(GRPC_MODULE)
        if grpc is None:
            log.warning("gRPC is not built yet in this version; serving HTTP only")
        else:
            grpc_stop = await grpc.start(app, settings.grpc_port)
    try:
        yield
    finally:
        if grpc_stop is not None:
            await grpc_stop()
        sweeper.cancel()
        pool, app.state.pool = app.state.pool, None
        await pool.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The Central Command app for these settings (from the environment when omitted)."""
    settings = settings or Settings()
    app = FastAPI(
        title="Osiris Central Command",
        version="0.1.0",
        description="Appliances check in, pull signed rules and orders, and report telemetry.",
        lifespan=_lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.limiter = TokenBucket(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.bundle_cache = {}
    app.state.pool = None
    for module in ROUTERS:
        app.include_router(module.router)
    for name in OPTIONAL_ROUTERS:
        module = _optional(name)
        if module is not None:
            app.include_router(module.router)
    handlers.install(app)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag", "Retry-After"],
        )
    return app
