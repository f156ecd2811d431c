"""The CA without I/O: what it signs, what it refuses, and what identities it reads back."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from serving.pki import ca as pki
from serving.pki.errors import InvalidCertificate, InvalidCSR
from tests.serving.grpc.helpers import csr_for, new_key, self_signed


@pytest.fixture(scope="module")
def authority() -> pki.CertificateAuthority:
    """One CA for the module (key generation is cheap, but not free)."""
    return pki.CertificateAuthority.create()


def _ext(cert: x509.Certificate, cls):
    return cert.extensions.get_extension_for_class(cls).value


def test_ca_create_p256_ten_years_signs_leaves_only(authority):
    cert = authority.cert
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc >= timedelta(days=3650)
    constraints = _ext(cert, x509.BasicConstraints)
    assert constraints.ca and constraints.path_length == 0
    assert _ext(cert, x509.KeyUsage).key_cert_sign
    assert authority.check_pair() and authority.signed(cert)


def test_issue_agent_names_appliance_client_auth_365_days(authority):
    appliance_id = uuid.uuid4()
    now = datetime.now(UTC).replace(microsecond=0)  # X.509 times have whole seconds
    cert = authority.issue_agent(x509.load_pem_x509_csr(csr_for(new_key())), appliance_id, now=now)
    assert authority.signed(cert)
    assert pki.appliance_id_of(cert) == appliance_id
    assert _ext(cert, x509.ExtendedKeyUsage) == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert not _ext(cert, x509.BasicConstraints).ca
    assert cert.not_valid_after_utc - now == timedelta(days=365)


def test_issue_agent_ignores_what_the_csr_asks_for(authority):
    # A CSR asking to be a CA, for a server name, under someone else's appliance URI gets none of it.
    greedy = csr_for(new_key(), cn="Osiris Central Command CA", extensions=[
        x509.BasicConstraints(ca=True, path_length=None),
        x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                     x509.UniformResourceIdentifier(f"{pki.APPLIANCE_URI_PREFIX}{uuid.uuid4()}")]),
    ])
    appliance_id = uuid.uuid4()
    cert = authority.issue_agent(pki.parse_csr(greedy), appliance_id)
    assert not _ext(cert, x509.BasicConstraints).ca
    san = _ext(cert, x509.SubjectAlternativeName)
    assert san.get_values_for_type(x509.DNSName) == []
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [pki.appliance_uri(appliance_id)]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == str(appliance_id)


def test_issue_agent_never_outlives_the_ca():
    short = pki.CertificateAuthority.create(days=30)
    cert = short.issue_agent(x509.load_pem_x509_csr(csr_for(new_key())), uuid.uuid4())
    assert cert.not_valid_after_utc == short.cert.not_valid_after_utc


def test_issue_server_ip_and_dns_sans_server_auth(authority):
    cert = authority.issue_server(new_key(), ["localhost", "127.0.0.1", "::1", "[::1]", "central.example"])
    assert pki.server_names(cert) == {"localhost", "127.0.0.1", "::1", "central.example"}
    assert _ext(cert, x509.ExtendedKeyUsage) == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    with pytest.raises(InvalidCertificate):
        pki.appliance_id_of(cert)  # a server certificate is no appliance


def test_signed_other_ca_false(authority):
    other = pki.CertificateAuthority.create()
    cert = other.issue_agent(x509.load_pem_x509_csr(csr_for(new_key())), uuid.uuid4())
    assert not authority.signed(cert)


@pytest.mark.parametrize("data", [b"", b"garbage", b"-----BEGIN CERTIFICATE REQUEST-----\n!!\n-----END CERTIFICATE REQUEST-----\n",
                                  b"x" * (pki.MAX_CSR_BYTES + 1)])
def test_parse_csr_broken_bytes_invalid_csr(data):
    with pytest.raises(InvalidCSR):
        pki.parse_csr(data)


def test_parse_csr_rsa_key_invalid_csr():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsa")])).sign(key, hashes.SHA256())
    with pytest.raises(InvalidCSR, match="P-256"):
        pki.parse_csr(csr.public_bytes(serialization.Encoding.PEM))


def test_parse_csr_p384_key_invalid_csr():
    with pytest.raises(InvalidCSR, match="P-256"):
        pki.parse_csr(csr_for(ec.generate_private_key(ec.SECP384R1())))


def test_parse_csr_tampered_signature_invalid_csr():
    # One flipped bit in the signature: the request no longer proves possession of its key.
    honest = x509.load_pem_x509_csr(csr_for(new_key()))
    der = bytearray(honest.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # flip a bit inside the signature
    pem = b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)) + b"-----END CERTIFICATE REQUEST-----\n"
    with pytest.raises(InvalidCSR):
        pki.parse_csr(pem)


def test_appliance_id_of_self_signed_without_uri_invalid():
    cert = x509.load_pem_x509_certificate(self_signed(new_key()))
    with pytest.raises(InvalidCertificate):
        pki.appliance_id_of(cert)


def test_appliance_id_of_uri_not_uuid_invalid():
    cert = x509.load_pem_x509_certificate(self_signed(new_key(), f"{pki.APPLIANCE_URI_PREFIX}not-a-uuid"))
    with pytest.raises(InvalidCertificate, match="UUID"):
        pki.appliance_id_of(cert)


def test_load_certificate_garbage_invalid():
    with pytest.raises(InvalidCertificate):
        pki.load_certificate(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
