"""TLS verification is on by default for every client that leaves the process over TLS.

Each client is pointed, with its default settings, at a real HTTPS server on 127.0.0.1 whose
certificate is self-signed: the handshake must be refused (a certificate-verification failure in the
error chain, and not one request served). A control test shows the same server answers a client that
trusts its certificate, so the refusals are about verification and nothing else.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.timeout(120)


@dataclass
class TlsServer:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate, and the requests it served."""

    url: str
    cert_file: Path
    served: list[str] = field(default_factory=list)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """The self-signed HTTPS server, answering `{}` to anything that gets through the handshake."""
    cert_file, key_file = _self_signed(tmp_path_factory.mktemp("tls"))
    served: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            served.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            pass  # refused handshakes are the expected outcome here

    server = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"https://127.0.0.1:{server.server_address[1]}", cert_file, served)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fresh(tls_server: TlsServer) -> TlsServer:
    """The server with its count of served requests reset for this test."""
    tls_server.served.clear()
    return tls_server


def _verification_failed(exc: BaseException | None) -> bool:
    """True when a certificate-verification failure is in the exception's cause chain."""
    for _ in range(12):
        if exc is None:
            return False
        if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def test_tls_server_answers_a_client_that_trusts_it(fresh):
    # The control: the server works, so every refusal below is the client's verification at work.
    r = httpx.get(fresh.url + "/control", verify=ssl.create_default_context(cafile=str(fresh.cert_file)))
    assert r.status_code == 200 and fresh.served == ["GET /control"]
    with pytest.raises(httpx.ConnectError) as info:
        httpx.get(fresh.url + "/control")
    assert _verification_failed(info.value)


def test_central_client_default_refuses_self_signed(fresh):
    from agent.central import CentralClient
    from agent.errors import CentralUnavailableError
    from contracts.api import CheckinRequest

    with CentralClient(fresh.url, "osa_" + "x" * 40) as client, pytest.raises(CentralUnavailableError) as info:
        client.checkin(CheckinRequest(hostname="appliance-1", agent_version="0.1.0"))
    assert _verification_failed(info.value) and fresh.served == []


def test_winrm_executor_defaults_https_with_validation_refuses_self_signed(fresh):
    from agent.errors import ExecutorError
    from agent.executors.winrm import WinRMExecutor

    port = int(fresh.url.rsplit(":", 1)[1])
    executor = WinRMExecutor("127.0.0.1", port, username="svc", password="pw", retries=0)
    assert executor.endpoint.startswith("https://") and executor.cert_validation is True
    assert WinRMExecutor("127.0.0.1", username="svc").port == 5986  # the default port is the HTTPS one
    try:
        with pytest.raises(ExecutorError) as info:
            executor.run("hostname", timeout=10)
    finally:
        executor.close()
    assert "TLS failed" in str(info.value) and _verification_failed(info.value) and fresh.served == []


async def test_anthropic_planner_default_refuses_self_signed(fresh):
    from contracts.incidents import Incident
    from serving.l2.anthropic_planner import AnthropicPlanner
    from serving.l2.catalog import load_runbooks
    from serving.l2.errors import PlannerUnavailable
    from serving.l2.settings import L2Settings

    planner = AnthropicPlanner(L2Settings(anthropic_api_key="sk-ant-test-key", anthropic_base_url=fresh.url,
                                          llm_timeout=10, llm_max_retries=0))
    incident = Incident(site_id=str(uuid.uuid4()), host="pc-1", check_type="firewall_status", platform="windows")
    try:
        with pytest.raises(PlannerUnavailable) as info:
            await planner.plan(incident, "windows", load_runbooks().for_platform("windows"))
    finally:
        await planner.close()
    assert _verification_failed(info.value) and fresh.served == []


def test_nvd_client_default_refuses_self_signed(fresh):
    from warehouse.errors import NvdApiError
    from warehouse.feeds.nvd_client import NvdClient

    with NvdClient(base_url=fresh.url + "/rest/json/cves/2.0", max_tries=1, page_delay=0,
                   sleep=lambda _s: None) as client, pytest.raises(NvdApiError) as info:
        next(client.iter_pages())
    assert _verification_failed(info.value) and fresh.served == []


def test_ots_calendar_client_default_refuses_self_signed(fresh):
    from warehouse.evidence.calendar import CalendarClient
    from warehouse.evidence.errors import CalendarUnreachableError

    with CalendarClient([fresh.url]) as client, pytest.raises(CalendarUnreachableError) as info:
        client.submit(fresh.url, bytes(32))
    assert _verification_failed(info.value) and fresh.served == []


async def _l3_notice():
    from contracts.incidents import Severity
    from serving.l3.channels import Notice

    return Notice(action="trigger", dedup_key="i-1", escalation_id="e-1", site_id="s-1", site_name="Main Street",
                  incident_id="i-1", host="pc-1", check_type="firewall_status", severity=Severity.HIGH,
                  reason="no runbook", requested_at=datetime.now(UTC))


async def test_l3_webhook_default_refuses_self_signed(fresh):
    from serving.l3.engine import Engine
    from serving.l3.settings import L3Settings

    engine = Engine(L3Settings(slack_webhook_url=fresh.url + "/hooks/T000/B000/xyz", http_timeout_s=10))
    try:
        attempt = await engine.channel("slack").send(await _l3_notice())
    finally:
        await engine.close()
    assert not attempt.ok and fresh.served == []


async def test_l3_email_implicit_tls_default_refuses_self_signed(fresh):
    from serving.l3.channels.email import EmailChannel
    from serving.l3.settings import L3Settings

    port = int(fresh.url.rsplit(":", 1)[1])
    channel = EmailChannel(L3Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="tls",
                                      smtp_from="osiris@clinic.example", smtp_to=["it@clinic.example"],
                                      smtp_timeout_s=10))
    attempt = await channel.send(await _l3_notice())
    assert not attempt.ok and fresh.served == []
