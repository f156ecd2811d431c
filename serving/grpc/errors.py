"""The one place errors become gRPC status codes (the HTTP twin is `serving.api.handlers`).

Bad input is INVALID_ARGUMENT, never INTERNAL; unexpected failures are logged here and answered
with a generic INTERNAL that leaks nothing.
"""

from __future__ import annotations

import logging

import asyncpg
import grpc
from pydantic import ValidationError

from contracts.errors import ContractError
from serving.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    NotPublished,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    ServingError,
    Unauthorized,
)
from warehouse.errors import DatabaseUnavailableError, InvalidIdError

log = logging.getLogger("osiris.serving.grpc")

_SERVING_CODES: tuple[tuple[type[ServingError], grpc.StatusCode], ...] = (
    (BadRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (Unauthorized, grpc.StatusCode.UNAUTHENTICATED),
    (Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (NotPublished, grpc.StatusCode.NOT_FOUND),
    (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (PayloadTooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ServiceUnavailable, grpc.StatusCode.UNAVAILABLE),
)


def _validation_message(exc: ValidationError) -> str:
    # Never echo the submitted values: a payload may carry secrets.
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"invalid {where or 'value'}: {first.get('msg', 'validation failed')}"


def to_status(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and one-line detail for an error raised while serving a call."""
    if isinstance(exc, ServingError):
        for cls, code in _SERVING_CODES:
            if isinstance(exc, cls):
                return code, exc.message
        # A server fault (the CA's files, say): the operator needs the detail, the caller does not.
        log.error("%s: %s", type(exc).__name__, exc.message)
        return grpc.StatusCode.INTERNAL, "internal error"
    if isinstance(exc, ValidationError):
        return grpc.StatusCode.INVALID_ARGUMENT, _validation_message(exc)
    if isinstance(exc, InvalidIdError | ContractError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, asyncpg.DataError):
        return grpc.StatusCode.INVALID_ARGUMENT, f"invalid value: {str(exc).splitlines()[0]}"
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return grpc.StatusCode.FAILED_PRECONDITION, f"conflicts with stored data: {type(exc).__name__}"
    if isinstance(exc, DatabaseUnavailableError | asyncpg.InterfaceError | ConnectionError):
        log.warning("database unavailable: %s", exc)
        return grpc.StatusCode.UNAVAILABLE, "database unavailable"
    log.error("unexpected error serving a gRPC call", exc_info=exc)
    return grpc.StatusCode.INTERNAL, "internal error"


def retry_after(exc: BaseException) -> int | None:
    """Seconds to wait before retrying, for errors that say so."""
    return exc.retry_after if isinstance(exc, RateLimited) else None


async def abort(context: grpc.aio.ServicerContext, exc: BaseException) -> None:
    """End the call with the status `exc` maps to (raises, like `context.abort`)."""
    code, detail = to_status(exc)
    wait = retry_after(exc)
    if wait is not None:
        context.set_trailing_metadata((("retry-after", str(wait)),))
    await context.abort(code, detail)
