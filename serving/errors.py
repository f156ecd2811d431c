"""The one error hierarchy of `serving`; each class carries the HTTP status its one handler maps it to.

The service layer raises these and never speaks HTTP; `serving.app` maps them to responses and
the gRPC servicer maps them to status codes, each in exactly one place.
"""

from __future__ import annotations


class ServingError(Exception):
    """Base of every error raised by `serving`."""

    status_code = 500

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class BadRequest(ServingError):
    """The request is well-formed JSON but its values make no sense (HTTP 400)."""

    status_code = 400


class Unauthorized(ServingError):
    """No credentials, or credentials nobody issued (HTTP 401)."""

    status_code = 401


class Forbidden(ServingError):
    """Known caller, but not allowed to do this here (HTTP 403)."""

    status_code = 403


class NotFound(ServingError):
    """The named thing does not exist or is not visible to the caller (HTTP 404, names the id)."""

    status_code = 404

    def __init__(self, what: str, ident: object):
        self.what = what
        self.ident = str(ident)
        super().__init__(f"{what} {ident} not found")


class Conflict(ServingError):
    """The request fights the current state: duplicate, wrong order status, missing key (HTTP 409)."""

    status_code = 409


class PayloadTooLarge(ServingError):
    """The body is larger than the server takes (HTTP 413)."""

    status_code = 413


class RateLimited(ServingError):
    """Too many requests from one caller; try again after `retry_after` seconds (HTTP 429)."""

    status_code = 429

    def __init__(self, retry_after: float):
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"rate limit exceeded; retry after {self.retry_after} s")


class NotPublished(ServingError):
    """Something the caller asked for has not been produced yet, e.g. no rules bundle (HTTP 404)."""

    status_code = 404


class ServiceUnavailable(ServingError):
    """A dependency (the database) is not reachable right now (HTTP 503)."""

    status_code = 503
