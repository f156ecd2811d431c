"""Certificates without I/O: make the CA, sign agent and server certificates, read identities back.

Agent certificates name their appliance in a SAN URI `urn:osiris:appliance:<uuid>` (and the CN), are
usable only as TLS clients, and take nothing from the CSR but its public key: the server decides every
name and extension, so a request cannot ask for more than an appliance identity.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from serving.pki.errors import InvalidCertificate, InvalidCSR

CA_DAYS = 3650
AGENT_DAYS = 365
SERVER_DAYS = 365
MAX_CSR_BYTES = 16 * 1024
APPLIANCE_URI_PREFIX = "urn:osiris:appliance:"
# Certificates start a little in the past so an appliance whose clock runs slow can still use them.
_BACKDATE = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM (callers store it 0600)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    """A certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, hex: how Postgres names an issued certificate."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def appliance_uri(appliance_id: uuid.UUID) -> str:
    """The SAN URI that names an appliance."""
    return f"{APPLIANCE_URI_PREFIX}{appliance_id}"


@dataclass(frozen=True)
class CertificateAuthority:
    """The CA's key and self-signed certificate; signs everything below it."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, *, days: int = CA_DAYS, now: datetime | None = None) -> CertificateAuthority:
        """A new CA: ECDSA P-256, self-signed, valid `days`, allowed to sign end-entity certificates only."""
        key = new_key()
        now = now or _now()
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Osiris"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Osiris Central Command CA"),
        ])
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + timedelta(days=days))
            # path_length=0: the CA signs appliances and the server, never another CA.
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def pem(self) -> bytes:
        """The CA certificate as PEM (what appliances pin)."""
        return cert_pem(self.cert)

    def check_pair(self) -> bool:
        """True when the certificate belongs to the key (files on disk can be swapped)."""
        return self.cert.public_key().public_numbers() == self.key.public_key().public_numbers()

    def _builder(self, subject: x509.Name, public_key, days: int, now: datetime | None) -> x509.CertificateBuilder:
        now = now or _now()
        # Never outlive the CA: a certificate past the CA's own expiry could not be verified anyway.
        not_after = min(now + timedelta(days=days), self.cert.not_valid_after_utc)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )

    def issue_agent(
        self,
        csr: x509.CertificateSigningRequest,
        appliance_id: uuid.UUID,
        *,
        days: int = AGENT_DAYS,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """An agent (TLS client) certificate for `appliance_id` over the CSR's public key."""
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Osiris appliance"),
            x509.NameAttribute(NameOID.COMMON_NAME, str(appliance_id)),
        ])
        return (
            self._builder(subject, csr.public_key(), days, now)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(appliance_uri(appliance_id))]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def issue_server(
        self,
        key: ec.EllipticCurvePrivateKey,
        names: list[str],
        *,
        days: int = SERVER_DAYS,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """A TLS server certificate for these host names and IP addresses (SANs; IPs become IP SANs)."""
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Osiris"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Osiris Central Command"),
        ])
        return (
            self._builder(subject, key.public_key(), days, now)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def signed(self, cert: x509.Certificate) -> bool:
        """True when this CA signed `cert` (checks the signature, not dates or extensions)."""
        try:
            cert.verify_directly_issued_by(self.cert)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            return False
        return True


def _key_usage(*, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
        decipher_only=False,
    )


def _general_names(names: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for name in dict.fromkeys(n.strip().strip("[]") for n in names if n.strip()):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def server_names(cert: x509.Certificate) -> set[str]:
    """The DNS names and IP addresses a server certificate covers, as text."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(v) for v in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)}


def parse_csr(data: bytes) -> x509.CertificateSigningRequest:
    """A PEM CSR whose signature checks and whose key is ECDSA P-256; anything else is InvalidCSR."""
    if not data:
        raise InvalidCSR("csr_pem is empty")
    if len(data) > MAX_CSR_BYTES:
        raise InvalidCSR(f"csr_pem is {len(data)} bytes; at most {MAX_CSR_BYTES}")
    try:
        csr = x509.load_pem_x509_csr(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidCSR(f"csr_pem is not a PEM certificate request: {str(exc)[:120]}") from None
    try:
        key = csr.public_key()
        valid = csr.is_signature_valid
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidCSR(f"csr_pem cannot be read: {str(exc)[:120]}") from None
    if not valid:
        raise InvalidCSR("csr_pem signature does not verify: the request was not signed by its own key")
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidCSR("csr_pem must carry an ECDSA P-256 public key")
    return csr


def load_certificate(data: bytes) -> x509.Certificate:
    """A PEM certificate; anything else is InvalidCertificate."""
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidCertificate(f"not a PEM certificate: {str(exc)[:120]}") from None


def appliance_id_of(cert: x509.Certificate) -> uuid.UUID:
    """The appliance a certificate names (SAN URI, which must agree with the CN)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError) as exc:
        raise InvalidCertificate("certificate has no subject alternative name") from exc
    uris = [u for u in san.get_values_for_type(x509.UniformResourceIdentifier) if u.startswith(APPLIANCE_URI_PREFIX)]
    if len(uris) != 1:
        raise InvalidCertificate("certificate must name exactly one urn:osiris:appliance: URI")
    try:
        appliance_id = uuid.UUID(uris[0].removeprefix(APPLIANCE_URI_PREFIX))
    except ValueError as exc:
        raise InvalidCertificate("certificate names an appliance id that is not a UUID") from exc
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if [a.value for a in cns] != [str(appliance_id)]:
        raise InvalidCertificate("certificate CN does not match its appliance URI")
    return appliance_id
