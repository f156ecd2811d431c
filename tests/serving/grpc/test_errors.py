"""Every error the service layer raises has one gRPC status; bad input is never INTERNAL."""

from __future__ import annotations

import asyncpg
import grpc
import pytest
from pydantic import BaseModel, ValidationError

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
    Unauthorized,
)
from serving.grpc.errors import retry_after, to_status
from serving.pki.errors import CAError, InvalidCSR
from warehouse.errors import DatabaseUnavailableError, InvalidIdError


class _Body(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Body(n="secret-value")
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(("exc", "code"), [
    (BadRequest("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidCSR("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (Unauthorized("x"), grpc.StatusCode.UNAUTHENTICATED),
    (Forbidden("x"), grpc.StatusCode.PERMISSION_DENIED),
    (NotFound("order", "o-1"), grpc.StatusCode.NOT_FOUND),
    (NotPublished("x"), grpc.StatusCode.NOT_FOUND),
    (Conflict("x"), grpc.StatusCode.FAILED_PRECONDITION),
    (PayloadTooLarge("x"), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (RateLimited(2.5), grpc.StatusCode.RESOURCE_EXHAUSTED),
    (ServiceUnavailable("x"), grpc.StatusCode.UNAVAILABLE),
    (InvalidIdError("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (ContractError("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (asyncpg.DataError("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (asyncpg.UniqueViolationError("x"), grpc.StatusCode.FAILED_PRECONDITION),
    (DatabaseUnavailableError("x"), grpc.StatusCode.UNAVAILABLE),
    (ConnectionResetError("x"), grpc.StatusCode.UNAVAILABLE),
    (CAError("ca.key unreadable"), grpc.StatusCode.INTERNAL),
    (KeyError("boom"), grpc.StatusCode.INTERNAL),
])
def test_to_status_maps_each_error(exc, code):
    assert to_status(exc)[0] is code


def test_to_status_not_found_names_the_id():
    assert to_status(NotFound("order", "o-1"))[1] == "order o-1 not found"


def test_to_status_internal_leaks_nothing():
    assert to_status(KeyError("password=hunter2")) == (grpc.StatusCode.INTERNAL, "internal error")
    assert "ca.key" not in to_status(CAError("ca.key unreadable"))[1]


def test_to_status_validation_error_names_field_not_value():
    code, detail = to_status(_validation_error())
    assert code is grpc.StatusCode.INVALID_ARGUMENT and "n" in detail and "secret-value" not in detail


def test_retry_after_only_for_rate_limits():
    assert retry_after(RateLimited(2.5)) == 3 and retry_after(BadRequest("x")) is None
