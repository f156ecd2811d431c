"""The listeners' certificate renews itself before expiry, at a handshake, without a restart."""

from __future__ import annotations

import asyncio
import socket
import ssl
from datetime import UTC, datetime, timedelta

from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc

from serving.grpc.server import ServerCertificate
from serving.grpc.settings import GrpcSettings
from serving.pki.store import load_or_create_ca
from tests.serving.grpc import helpers


def _not_after(pem: bytes) -> datetime:
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc


def test_server_certificate_renewed_near_expiry_each_listener_swaps_once(tmp_path):
    settings = GrpcSettings(home=tmp_path)
    ca = load_or_create_ca(settings.ca_path())
    now = [datetime.now(UTC)]
    cert = ServerCertificate(ca, settings, clock=lambda: now[0])
    mutual, enroll = cert.fetcher(verify_clients=True), cert.fetcher(verify_clients=False)
    first = cert.cert_pem
    assert mutual() is None and enroll() is None

    now[0] += timedelta(days=340)  # 25 days before expiry: inside the renewal window
    assert mutual() is not None
    now[0] = datetime.now(UTC)
    assert cert.cert_pem != first and _not_after(cert.cert_pem) >= _not_after(first)
    assert (settings.ca_path() / "server.crt").read_bytes() == cert.cert_pem
    assert enroll() is not None  # the other listener picks the renewed certificate up too
    assert mutual() is None and enroll() is None  # and each swaps only once


def _peer_certificate(port: int, ca_pem: bytes) -> bytes:
    context = ssl.create_default_context(cadata=ca_pem.decode())
    context.set_alpn_protocols(["h2"])
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname="127.0.0.1") as tls:
        return tls.getpeercert(binary_form=True)


async def test_running_listener_serves_renewed_certificate(servers):
    before = await asyncio.to_thread(_peer_certificate, servers.enroll_port, servers.ca.pem)
    real_now = datetime.now(UTC)
    servers.certificate.clock = lambda: real_now + timedelta(days=340)
    async with helpers.enroll_channel(servers) as channel:  # the next handshake renews
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    servers.certificate.clock = lambda: datetime.now(UTC)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    after = await asyncio.to_thread(_peer_certificate, servers.enroll_port, servers.ca.pem)
    assert after != before
    renewed = x509.load_der_x509_certificate(after)
    assert renewed.serial_number != x509.load_der_x509_certificate(before).serial_number
    assert servers.ca.signed(renewed)
