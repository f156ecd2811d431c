"""Client side of the gRPC tests: keys and CSRs made like an appliance makes them, and channels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.grpc.server import GrpcServers
from serving.services import enrollment


def new_key() -> ec.EllipticCurvePrivateKey:
    """An appliance's P-256 key (it never leaves the appliance)."""
    return ec.generate_private_key(ec.SECP256R1())


def pem_key(key) -> bytes:
    """A private key as PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def csr_for(key, cn: str = "appliance", extensions: list[x509.ExtensionType] = ()) -> bytes:
    """A PEM CSR over `key`, optionally asking for extensions the server must ignore."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    )
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def self_signed(key, uri: str | None = None, *, ca: bool = False) -> bytes:
    """A self-signed certificate (PEM), optionally naming an appliance URI like ours do."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uri.rsplit(":", 1)[-1] if uri else "intruder")])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if uri:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def enroll_channel(servers: GrpcServers) -> grpc.aio.Channel:
    """A channel to the enrollment port, trusting the Osiris CA, presenting no certificate."""
    return grpc.aio.secure_channel(f"127.0.0.1:{servers.enroll_port}", grpc.ssl_channel_credentials(servers.ca.pem))


def mtls_channel(servers: GrpcServers, key_pem: bytes | None, cert_pem: bytes | None,
                 *, port: int | None = None) -> grpc.aio.Channel:
    """A channel to the mutual-TLS port presenting this key and certificate (None: none)."""
    creds = grpc.ssl_channel_credentials(servers.ca.pem, key_pem, cert_pem)
    return grpc.aio.secure_channel(f"127.0.0.1:{port or servers.port}", creds)


@dataclass
class Enrolled:
    """An appliance that went through Register."""

    key_pem: bytes
    cert_pem: bytes
    appliance_id: uuid.UUID
    site_id: uuid.UUID
    api_key: str
    response: pb.RegisterResponse

    def channel(self, servers: GrpcServers) -> grpc.aio.Channel:
        """A mutual-TLS channel with this appliance's certificate."""
        return mtls_channel(servers, self.key_pem, self.cert_pem)


async def register(servers: GrpcServers, token: str, csr_pem: bytes, hostname: str = "appliance-1") -> pb.RegisterResponse:
    """Call Register on the enrollment port."""
    async with enroll_channel(servers) as channel:
        stub = pb_grpc.ComplianceAgentStub(channel)
        return await stub.Register(
            pb.RegisterRequest(enrollment_token=token, csr_pem=csr_pem, hostname=hostname), timeout=10
        )


async def enroll(pool, servers: GrpcServers, site_id: uuid.UUID, **token_args) -> Enrolled:
    """Create a token (service layer) and enroll with a fresh key over gRPC."""
    _, token = await enrollment.create_token(pool, site_id, **token_args)
    key = new_key()
    response = await register(servers, token, csr_for(key))
    return Enrolled(
        pem_key(key), response.certificate_pem, uuid.UUID(response.appliance_id), uuid.UUID(response.site_id),
        response.api_key, response,
    )
