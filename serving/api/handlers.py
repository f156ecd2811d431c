"""The one place errors become HTTP responses: 400 bad input, 401/403, 404 with the id, 409, 429, 503.

Bad input never reaches a 500: malformed ids and bodies, values Postgres refuses (a NUL byte, a
number out of range) and contract violations all answer 400 with a one-line reason. Validation
errors never echo the submitted values back, since a body may hold a password. A database that is
down, restarting or out of connections answers 503 with Retry-After, so clients back off and resend.
"""

from __future__ import annotations

import logging

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contracts.errors import ContractError
from serving.errors import RateLimited, ServingError, Unauthorized
from warehouse.errors import DatabaseUnavailableError, InvalidIdError

log = logging.getLogger("osiris.serving")

RETRY_AFTER_UNAVAILABLE = 2
"""Seconds a client is asked to wait after a 503: a Postgres restart or failover takes about that long."""

DATABASE_DOWN: tuple[type[Exception], ...] = (
    DatabaseUnavailableError,
    asyncpg.InterfaceError,
    ConnectionError,
    asyncpg.PostgresConnectionError,  # class 08: the connection broke mid-request
    asyncpg.CannotConnectNowError,  # shutting down or still starting up
    asyncpg.AdminShutdownError,  # `pg_ctl stop -m fast` ended the session
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # A pooled connection whose server went away mid-operation can be left in a protocol state
    # asyncpg refuses to leave ("another operation is in progress"); the pool discards it.
    asyncpg.InternalClientError,
)
"""Errors that mean Postgres cannot serve right now (HTTP 503), not that the request is wrong."""


def _validation_detail(exc: RequestValidationError) -> list[dict]:
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        for err in exc.errors()[:20]
    ]


async def handle(request: Request, exc: Exception) -> JSONResponse:
    """Map any error the app raises to its status and a JSON `{"detail": ...}` body."""
    headers: dict[str, str] = {}
    if isinstance(exc, ServingError):
        status, detail = exc.status_code, exc.message
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, RequestValidationError):
        status, detail = 400, _validation_detail(exc)
    elif isinstance(exc, InvalidIdError | ContractError):
        status, detail = 400, str(exc)
    elif isinstance(exc, DATABASE_DOWN):
        log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        status, detail = 503, "database unavailable"
    elif isinstance(exc, asyncpg.DataError | asyncpg.NotNullViolationError | asyncpg.CheckViolationError):
        # Postgres refused a value the models let through (NUL in text, an out-of-range number,
        # an infinity that JSON can only write as null).
        status, detail = 400, f"invalid value: {str(exc).splitlines()[0]}"
    elif isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        status, detail = 409, f"conflicts with stored data: {type(exc).__name__}"
    else:  # pragma: no cover - registered only for the classes above
        raise exc
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


HANDLED: tuple[type[Exception], ...] = (
    ServingError,
    RequestValidationError,
    InvalidIdError,
    ContractError,
    asyncpg.DataError,
    asyncpg.NotNullViolationError,
    asyncpg.CheckViolationError,
    asyncpg.IntegrityConstraintViolationError,
    *DATABASE_DOWN,
)


def install(app: FastAPI) -> None:
    """Register `handle` for every error class it maps."""
    for cls in HANDLED:
        app.add_exception_handler(cls, handle)
