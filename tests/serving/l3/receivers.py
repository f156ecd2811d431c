"""Real receivers on 127.0.0.1 for the L3 tests: an HTTP server recording webhook posts, an SMTP server.

The HTTP receiver answers from a script (status, headers, body per request; the last entry repeats),
so one receiver can fail twice before accepting. The SMTP server is aiosmtpd with STARTTLS on a
certificate for 127.0.0.1 issued by a test CA made with `cryptography`; the client verifies it
against that CA file, with verification on.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxTopSecretWebhookToken"
"""The webhook path tests use: it is the credential, so no record may contain it."""


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Post:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: Any
    at: float


class HttpReceiver:
    """Records every POST; answers from the script."""

    def __init__(self, script: list[Reply]):
        self.script = list(script) or [Reply()]
        self.posts: list[Post] = []
        self.url = ""
        self._lock = threading.Lock()

    def next_reply(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [p.body for p in self.posts]


def _handler(state: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
            state.posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
            reply = state.next_reply()
            data = reply.body.encode()
            self.send_response(reply.status)
            self.send_header("content-length", str(len(data)))
            self.send_header("content-type", "application/json" if data[:1] in (b"{", b"[") else "text/plain")
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def http_receiver(*script: Reply, path: str = SECRET_PATH) -> Iterator[HttpReceiver]:
    """An HTTP receiver on a free 127.0.0.1 port; `.url` is the full webhook URL."""
    state = HttpReceiver(list(script))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url(path: str = SECRET_PATH) -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# --- TLS --------------------------------------------------------------------------------------


@dataclass
class TestPki:
    """A CA and a server certificate for 127.0.0.1, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def make_pki(directory: Path) -> TestPki:
    """Issue a test CA and a 127.0.0.1 server certificate signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Osiris test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = TestPki(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    pki.key_file.chmod(0o600)
    return pki


# --- SMTP -------------------------------------------------------------------------------------

SMTP_USER = "osiris-alerts"
SMTP_PASSWORD = "smtp-pass-" + "p" * 16


@dataclass
class Mail:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


class SmtpState:
    """What the SMTP server saw, and the replies it gives to DATA (first ones may be failures)."""

    def __init__(self, data_replies: list[str]):
        self.mails: list[Mail] = []
        self.data_replies = list(data_replies)
        self.sessions = 0
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.sessions += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        login = session.auth_data if session.authenticated else None
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), msg,  # type: ignore[arg-type]
                               session.ssl is not None, login))
        return "250 OK queued as test"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER \
        and auth_data.password.decode() == SMTP_PASSWORD
    return AuthResult(success=ok, handled=False, auth_data=SMTP_USER if ok else None)


@contextmanager
def smtp_server(pki: TestPki, *data_replies: str) -> Iterator[SmtpState]:
    """An aiosmtpd server on 127.0.0.1 that requires STARTTLS (and AUTH after it)."""
    from aiosmtpd.controller import Controller

    state = SmtpState(list(data_replies))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        state.port = s.getsockname()[1]
    controller = Controller(state, hostname="127.0.0.1", port=state.port, tls_context=pki.server_context(),
                            require_starttls=True, auth_require_tls=True, authenticator=_authenticator,
                            auth_required=True)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
