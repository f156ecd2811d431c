"""The appliance's optional gRPC path: enroll with a token and a CSR, then call ComplianceAgent over mTLS.

HTTP stays the agent's main path; this module is for deployments that turn gRPC on. The private key
is made here and never leaves the appliance: Register receives only a CSR. Files, in
`<state_dir>/grpc/` (0700): `agent.key` (ECDSA P-256, 0600), `agent.crt`, and `ca.crt` (the Osiris
CA the installer pinned; the server must chain to it). gRPC errors become the agent's `Central*`
errors in one place, `_translate`.
"""

from __future__ import annotations

import base64
import os
import stat
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.errors import (
    CentralAuthError,
    CentralError,
    CentralProtocolError,
    CentralRejectedError,
    CentralUnavailableError,
    KeyFileError,
)
from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc

GRPC_DIR = "grpc"
KEY_FILE, CERT_FILE, CA_FILE = "agent.key", "agent.crt", "ca.crt"
RENEW_BEFORE = timedelta(days=30)
"""Renew once the certificate has less than this left (it lasts 365 days)."""
APPLIANCE_URI_PREFIX = "urn:osiris:appliance:"

# The nearest HTTP status for each refusal, so callers handle gRPC and HTTP refusals alike.
_REJECTED = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}


def _translate(exc: grpc.aio.AioRpcError) -> CentralError:
    code, detail = exc.code(), exc.details() or ""
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return CentralAuthError(f"Central Command refused this appliance: {detail}")
    if code in _REJECTED:
        return CentralRejectedError(f"Central Command refused the request: {detail}", status_code=_REJECTED[code])
    return CentralUnavailableError(f"gRPC {code.name}: {detail}")


@dataclass(frozen=True)
class GrpcIdentity:
    """The appliance's key, its certificate and the pinned CA."""

    key_pem: bytes
    cert_pem: bytes
    ca_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        """The agent certificate."""
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def appliance_id(self) -> uuid.UUID:
        """The appliance the certificate names."""
        san = self.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uri = next(u for u in san.get_values_for_type(x509.UniformResourceIdentifier)
                   if u.startswith(APPLIANCE_URI_PREFIX))
        return uuid.UUID(uri.removeprefix(APPLIANCE_URI_PREFIX))

    def needs_renewal(self, now: datetime | None = None) -> bool:
        """True once less than `RENEW_BEFORE` is left."""
        return self.certificate.not_valid_after_utc - (now or datetime.now(UTC)) < RENEW_BEFORE

    def credentials(self) -> grpc.ChannelCredentials:
        """Mutual-TLS channel credentials: trust only the pinned CA, present this certificate."""
        return grpc.ssl_channel_credentials(self.ca_pem, self.key_pem, self.cert_pem)


def new_key_and_csr(hostname: str = "appliance") -> tuple[bytes, bytes]:
    """A fresh P-256 key (PEM) and a CSR over it; the server decides every name in the certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname[:64] or "appliance")])
    ).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, csr.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the mode is right before the first byte lands
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def save_identity(state_dir: Path, identity: GrpcIdentity) -> None:
    """Store the identity under `state_dir/grpc/` (key 0600)."""
    folder = state_dir / GRPC_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write(folder / KEY_FILE, identity.key_pem, 0o600)
    _write(folder / CERT_FILE, identity.cert_pem, 0o644)
    _write(folder / CA_FILE, identity.ca_pem, 0o644)


def load_identity(state_dir: Path) -> GrpcIdentity:
    """The stored identity; KeyFileError when missing, malformed or the key is readable by others."""
    folder = state_dir / GRPC_DIR
    try:
        mode = (folder / KEY_FILE).stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{folder / KEY_FILE} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
        identity = GrpcIdentity(*((folder / n).read_bytes() for n in (KEY_FILE, CERT_FILE, CA_FILE)))
    except OSError as exc:
        raise KeyFileError(f"no usable gRPC identity in {folder}: {exc.strerror}; enroll first") from None
    _check(identity)
    return identity


def _check(identity: GrpcIdentity) -> None:
    """The certificate must parse, belong to our key, name an appliance and chain to the pinned CA."""
    try:
        cert = identity.certificate
        ca = x509.load_pem_x509_certificate(identity.ca_pem)
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
        cert.verify_directly_issued_by(ca)
        _ = identity.appliance_id
    except Exception as exc:  # noqa: BLE001 - any failure here means the same thing: unusable identity
        raise KeyFileError(f"gRPC identity unusable: {type(exc).__name__}: {str(exc)[:120]}") from None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise KeyFileError("gRPC certificate does not belong to the stored key")


@dataclass(frozen=True)
class Enrollment:
    """What Register answered: the identity (already saved), and the HTTP API key when one was made."""

    identity: GrpcIdentity
    appliance_id: str
    site_id: str
    api_key: str | None


async def enroll(enroll_target: str, ca_pem: bytes, token: str, state_dir: Path, *,
                 hostname: str = "", timeout: float = 30.0) -> Enrollment:
    """Register with a one-time token on the enrollment port (trusting only `ca_pem`); saves the identity."""
    key_pem, csr_pem = new_key_and_csr(hostname)
    async with grpc.aio.secure_channel(enroll_target, grpc.ssl_channel_credentials(ca_pem)) as channel:
        try:
            answer = await pb_grpc.ComplianceAgentStub(channel).Register(
                pb.RegisterRequest(enrollment_token=token, csr_pem=csr_pem, hostname=hostname), timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc) from None
    if answer.ca_certificate_pem.strip() != ca_pem.strip():
        raise CentralProtocolError("Register answered a CA other than the pinned one")
    identity = GrpcIdentity(key_pem, answer.certificate_pem, ca_pem)
    try:
        _check(identity)
    except KeyFileError as exc:
        raise CentralProtocolError(f"Register answered an unusable certificate: {exc}") from None
    save_identity(state_dir, identity)
    return Enrollment(identity, answer.appliance_id, answer.site_id, answer.api_key or None)


def envelope_json(message: pb.SignedEnvelope) -> dict[str, Any]:
    """A signed order as the JSON envelope the order processor verifies (the exact signed bytes)."""
    return {
        "payloadType": message.payload_type,
        "payload": base64.b64encode(message.payload).decode(),
        "signatures": [{"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode()} for s in message.signatures],
    }


class ComplianceClient:
    """ComplianceAgent over mutual TLS with the stored identity; use as `async with`."""

    def __init__(self, target: str, identity: GrpcIdentity, *, timeout: float = 30.0):
        self.target = target
        self.identity = identity
        self.timeout = timeout
        self._channel = grpc.aio.secure_channel(target, identity.credentials())
        self._stub = pb_grpc.ComplianceAgentStub(self._channel)

    async def __aenter__(self) -> ComplianceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()

    async def heartbeat(self, request: pb.HeartbeatRequest) -> pb.HeartbeatResponse:
        """Report liveness; the answer carries pending signed orders (see `envelope_json`)."""
        try:
            return await self._stub.Heartbeat(request, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc) from None

    async def report_drift(
        self, events: Iterable[pb.DriftEvent] | AsyncIterable[pb.DriftEvent]
    ) -> AsyncIterator[pb.DriftAck]:
        """Stream drift events; yields one ack per event, in order, each after its event is stored."""
        try:
            async for ack in self._stub.ReportDrift(events):
                yield ack
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc) from None

    async def renew(self, state_dir: Path) -> GrpcIdentity:
        """A new key and certificate (saved); this client switches to them for later calls."""
        key_pem, csr_pem = new_key_and_csr()
        try:
            answer = await self._stub.RenewCertificate(pb.RenewCertificateRequest(csr_pem=csr_pem), timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc) from None
        identity = GrpcIdentity(key_pem, answer.certificate_pem, self.identity.ca_pem)
        try:
            _check(identity)
        except KeyFileError as exc:
            raise CentralProtocolError(f"RenewCertificate answered an unusable certificate: {exc}") from None
        save_identity(state_dir, identity)
        await self._channel.close()
        self.identity = identity
        self._channel = grpc.aio.secure_channel(self.target, identity.credentials())
        self._stub = pb_grpc.ComplianceAgentStub(self._channel)
        return identity
