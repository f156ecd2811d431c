"""Start the gRPC listeners beside HTTP: `start(app, port)` is the hook `serving.app`'s lifespan calls.

Two listeners, one servicer, one event loop shared with FastAPI and asyncpg:
- the **mutual-TLS port** (`--grpc-port`) requires a client certificate chained to the Osiris CA in the
  TLS handshake itself, so a client without one, with a self-signed one or one from another CA never
  reaches a handler;
- the **enrollment port** (default: the mTLS port + 1) uses server-authenticated TLS and serves only
  Register, health and reflection.
Why two ports: grpcio's Python API offers client authentication as required or not requested at
all (`require_client_auth=False` never asks for a certificate, so none could be verified), so one
port cannot both enroll certificate-less appliances and verify everyone else's certificates.
Health checking and server reflection are on at both ports.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc
import nacl.signing
from cryptography import x509
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from contracts.orders import OrderPolicy
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.errors import ServingError
from serving.grpc.gate import SERVICE, Gate, Identities
from serving.grpc.heal import HealPlanner
from serving.grpc.servicer import ComplianceAgentServicer
from serving.grpc.settings import GrpcSettings, settings_for
from serving.metrics import Metrics
from serving.pki.ca import CertificateAuthority
from serving.pki.store import RENEW_SERVER_BEFORE, load_or_create_ca, load_or_create_server_cert
from serving.ratelimit import TokenBucket

log = logging.getLogger("osiris.serving.grpc")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class GrpcStartError(ServingError):
    """A gRPC listener could not bind its address (port taken, bad host)."""


class ServerCertificate:
    """The listeners' certificate, re-issued in place when it nears expiry: checked at every TLS handshake."""

    def __init__(self, ca: CertificateAuthority, settings: GrpcSettings, clock: Callable[[], datetime] = _utcnow):
        self.ca = ca
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        self.key_pem, self.cert_pem = load_or_create_server_cert(
            self.ca, self.settings.ca_path(), self.settings.names_for(self.settings.host),
            days=self.settings.server_cert_days, valid_until=self.clock() + RENEW_SERVER_BEFORE,
        )
        self.not_after = x509.load_pem_x509_certificate(self.cert_pem).not_valid_after_utc

    def configuration(self, *, verify_clients: bool) -> grpc.ServerCertificateConfiguration:
        """The current certificate (and, to verify clients, the CA) as gRPC wants it."""
        root = self.ca.pem if verify_clients else None
        return grpc.ssl_server_certificate_configuration([(self.key_pem, self.cert_pem)], root_certificates=root)

    def fetcher(self, *, verify_clients: bool) -> Callable[[], grpc.ServerCertificateConfiguration | None]:
        """What gRPC calls before each handshake: None keeps the certificate this listener serves."""
        served = [self.cert_pem]  # per listener: both share one certificate but swap it separately

        def fetch() -> grpc.ServerCertificateConfiguration | None:
            with self._lock:  # gRPC calls fetchers from its own threads
                if self.clock() >= self.not_after - RENEW_SERVER_BEFORE:
                    try:
                        self._load()
                    except Exception:  # noqa: BLE001 - keep serving the current certificate, retry next handshake
                        log.exception("could not renew the gRPC server certificate; keeping the current one")
                    else:
                        log.info("gRPC server certificate renewed; valid until %s", self.not_after.isoformat())
                if served[0] == self.cert_pem:
                    return None
                served[0] = self.cert_pem
                return self.configuration(verify_clients=verify_clients)

        return fetch

    def credentials(self, *, verify_clients: bool) -> grpc.ServerCredentials:
        """Server credentials that pick up a renewed certificate without a restart."""
        return grpc.dynamic_ssl_server_credentials(
            self.configuration(verify_clients=verify_clients),
            self.fetcher(verify_clients=verify_clients),
            require_client_authentication=verify_clients,
        )


@dataclass
class GrpcServers:
    """The two running listeners and what they serve with."""

    server: grpc.aio.Server
    enroll_server: grpc.aio.Server
    port: int
    enroll_port: int
    ca: CertificateAuthority
    certificate: ServerCertificate
    health: Any
    grace: float = 5.0

    async def stop(self) -> None:
        """Report NOT_SERVING, then stop both listeners, letting running calls finish for `grace` s."""
        await self.health.enter_graceful_shutdown()
        await asyncio.gather(self.server.stop(self.grace), self.enroll_server.stop(self.grace))


def _bind(server: grpc.aio.Server, address: str, credentials: grpc.ServerCredentials) -> int:
    try:
        port = server.add_secure_port(address, credentials)
    except RuntimeError as exc:
        raise GrpcStartError(f"gRPC cannot listen on {address}: {exc}") from None
    if not port:
        raise GrpcStartError(f"gRPC cannot listen on {address}")
    return port


def _new_server(gate: Gate, settings: GrpcSettings, servicer: ComplianceAgentServicer, health_servicer: Any):
    options = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # grpc turns SO_REUSEPORT on by default: two servers could then share a port silently.
        ("grpc.so_reuseport", 0),
    ]
    server = grpc.aio.server(interceptors=[gate], options=options)
    pb_grpc.add_ComplianceAgentServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [SERVICE, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    return server


async def serve(
    pool: asyncpg.Pool,
    signing_key: nacl.signing.SigningKey,
    *,
    port: int,
    settings: GrpcSettings | None = None,
    policy: OrderPolicy | None = None,
    metrics: Metrics | None = None,
    limiter: TokenBucket | None = None,
) -> GrpcServers:
    """Load (or make) the CA and server certificate, bind both listeners and start them."""
    settings = settings or GrpcSettings()
    ca = await asyncio.to_thread(load_or_create_ca, settings.ca_path(), days=settings.ca_days)
    certificate = await asyncio.to_thread(ServerCertificate, ca, settings)
    heal = HealPlanner(signing_key, policy=policy or OrderPolicy(), ttl=timedelta(seconds=settings.heal_order_ttl_seconds))
    servicer = ComplianceAgentServicer(
        pool, ca, heal, agent_cert_days=settings.agent_cert_days, drift_batch_max=settings.drift_batch_max,
        report_max_events=settings.report_max_events, metrics=metrics,
    )
    health_servicer = health.aio.HealthServicer()
    identities = Identities(pool, grace=timedelta(seconds=settings.renew_grace_seconds))
    server = _new_server(Gate(identities, limiter), settings, servicer, health_servicer)
    enroll_server = _new_server(Gate(None), settings, servicer, health_servicer)

    bound = _bind(server, f"{settings.host}:{port}", certificate.credentials(verify_clients=True))
    enroll_port = settings.enroll_port if settings.enroll_port is not None else (bound + 1 if port else 0)
    try:
        enroll_bound = _bind(
            enroll_server, f"{settings.host}:{enroll_port}", certificate.credentials(verify_clients=False)
        )
    except GrpcStartError:
        await server.stop(None)  # release the port already bound
        raise
    await server.start()
    await enroll_server.start()
    for name in ("", SERVICE):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("gRPC: mutual TLS on %s:%d, enrollment on %s:%d", settings.host, bound, settings.host, enroll_bound)
    return GrpcServers(
        server, enroll_server, bound, enroll_bound, ca, certificate, health_servicer, settings.shutdown_grace_seconds
    )


async def start(app: Any, port: int) -> Callable[[], Awaitable[None]]:
    """The FastAPI lifespan hook: serve gRPC with the app's pool, signing key, metrics and limiter."""
    settings = settings_for(app)
    servers = await serve(
        app.state.pool,
        app.state.signing_key,
        port=port,
        settings=settings,
        policy=OrderPolicy(update_domains=tuple(app.state.settings.update_domains)),
        metrics=app.state.metrics,
        limiter=app.state.limiter,
    )
    app.state.grpc = servers
    return servers.stop
