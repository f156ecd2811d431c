"""Who may call what, decided for every call in one interceptor, plus the one error-to-status mapping.

Two listeners share the servicer. The enrollment listener (server-authenticated TLS) answers Register,
health and reflection; every other method there is refused with UNAUTHENTICATED. The mutual-TLS
listener's handshake already refused clients without a certificate from this CA; the gate then maps
the certificate's appliance URI and fingerprint to a live appliance in Postgres on every call, so a
revoked appliance is refused (PERMISSION_DENIED) at its very next call.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import asyncpg
import grpc
from google.protobuf.message import DecodeError

from serving.errors import BadRequest, RateLimited, Unauthorized
from serving.grpc.errors import abort
from serving.pki.ca import appliance_id_of, fingerprint, load_certificate
from serving.pki.errors import InvalidCertificate
from serving.ratelimit import TokenBucket
from serving.services import enrollment
from serving.services.auth import ApplianceIdentity

SERVICE = "osiris.compliance.v1.ComplianceAgent"
REGISTER = f"/{SERVICE}/Register"
_OPEN_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


@dataclass(frozen=True)
class Caller:
    """The appliance behind a call, and the certificate it presented."""

    appliance: ApplianceIdentity
    fingerprint: str
    not_after: datetime


_caller: ContextVar[Caller | None] = ContextVar("osiris_grpc_caller", default=None)


def current_caller() -> Caller:
    """The caller the gate identified for this call (each call runs in its own task)."""
    caller = _caller.get()
    if caller is None:  # only reachable if a method were served without the gate
        raise Unauthorized("client certificate required")
    return caller


@lru_cache(maxsize=4096)
def _read_peer(pem: bytes) -> tuple[uuid.UUID, str]:
    # Parsing X.509 costs more than the Postgres lookup; the result depends only on the bytes.
    cert = load_certificate(pem)
    return appliance_id_of(cert), fingerprint(cert)


class Identities:
    """Maps a call's verified peer certificate to a live appliance (no caching of the answer)."""

    def __init__(self, pool: asyncpg.Pool, *, grace: timedelta):
        self.pool = pool
        self.grace = grace

    async def identify(self, context: grpc.aio.ServicerContext) -> Caller:
        """The caller, or Unauthorized / Forbidden."""
        pems = (context.auth_context() or {}).get("x509_pem_cert")
        if not pems:
            raise Unauthorized("client certificate required: enroll, then call with your certificate")
        try:
            appliance_id, fp = _read_peer(pems[0])
        except InvalidCertificate as exc:
            raise Unauthorized(f"client certificate is not an Osiris appliance certificate: {exc.message}") from None
        appliance, not_after = await enrollment.certificate_identity(self.pool, appliance_id, fp, grace=self.grace)
        return Caller(appliance, fp, not_after)


class Gate(grpc.aio.ServerInterceptor):
    """Wraps every ComplianceAgent method: identity first (unless open), errors mapped to statuses."""

    def __init__(self, identities: Identities | None, limiter: TokenBucket | None = None):
        # identities None: the enrollment listener, where only Register (and health) is served.
        self.identities = identities
        self.limiter = limiter

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        """The handler for this call, wrapped as the method requires."""
        handler = await continuation(details)
        method = details.method
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        if method == REGISTER:
            return _wrap(handler, None)  # the enrollment token is Register's credential
        if self.identities is None:
            return _refuse(
                handler,
                "this port only enrolls: call other methods on the mutual-TLS port with your certificate",
            )
        return _wrap(handler, self._identify)

    async def _identify(self, context: grpc.aio.ServicerContext) -> None:
        caller = await self.identities.identify(context)
        if self.limiter is not None:
            wait = self.limiter.take(str(caller.appliance.id))
            if wait:
                raise RateLimited(wait)
        _caller.set(caller)


Before = Callable[[grpc.aio.ServicerContext], Awaitable[None]] | None
_MALFORMED = object()
"""What a request that is not a valid protobuf message decodes to: refused with INVALID_ARGUMENT."""


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    # grpc answers an undecodable request with INTERNAL and a logged traceback; a peer's broken bytes
    # are bad input, so they become a marker the wrapper refuses as INVALID_ARGUMENT.
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError:
            return _MALFORMED

    return parse


def _valid(request: Any) -> Any:
    if request is _MALFORMED:
        raise BadRequest("request is not a valid protobuf message for this method")
    return request


async def _valid_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        yield _valid(request)


def _wrap(handler: grpc.RpcMethodHandler, before: Before) -> grpc.RpcMethodHandler:
    codec = {
        "request_deserializer": _tolerant(handler.request_deserializer),
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        inner = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                if before is not None:
                    await before(context)
                return await inner(_valid(request), context)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - the one place errors become statuses
                await abort(context, exc)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **codec)
    if handler.stream_stream is not None:
        inner_ss = handler.stream_stream

        async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                if before is not None:
                    await before(context)
                async for response in inner_ss(_valid_stream(requests), context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - the one place errors become statuses
                await abort(context, exc)

        return grpc.stream_stream_rpc_method_handler(stream_stream, **codec)
    # The service has no unary-stream or stream-unary methods; refusing keeps a new one from
    # slipping past the gate unchecked.
    return _refuse(handler, "method shape not supported by the gate", grpc.StatusCode.UNIMPLEMENTED)


def _refuse(
    handler: grpc.RpcMethodHandler, detail: str, code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED
) -> grpc.RpcMethodHandler:
    codec = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, detail)

    async def stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, detail)
        yield  # pragma: no cover - makes this an async generator; abort raised above

    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(unary, **codec)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(stream, **codec)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(unary, **codec)
    return grpc.stream_stream_rpc_method_handler(stream, **codec)
