"""The CA and the gRPC server's certificate on disk, under `$OSIRIS_HOME/ca`, made on first start.

Files: `ca.key` and `server.key` (ECDSA P-256, PKCS#8 PEM, mode 0600), `ca.crt` and `server.crt`
(mode 0644), in a 0700 folder. Creation holds an exclusive lock on `ca/.lock`, so two servers
starting at once end up with one CA. The server certificate is re-issued when it is not signed by
this CA, lacks a name it must cover, or expires within 30 days.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from serving.pki.ca import (
    CA_DAYS,
    SERVER_DAYS,
    CertificateAuthority,
    cert_pem,
    key_pem,
    new_key,
    server_names,
)
from serving.pki.errors import CAError

CA_KEY = "ca.key"
CA_CERT = "ca.crt"
SERVER_KEY = "server.key"
SERVER_CERT = "server.crt"
RENEW_SERVER_BEFORE = timedelta(days=30)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _prepare(directory: Path) -> Path:
    directory = directory.expanduser()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


def _write(path: Path, data: bytes, mode: int) -> None:
    # Write beside the target and rename: a reader never sees half a key, and the mode is set
    # before the first byte lands.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_private(path: Path) -> ec.EllipticCurvePrivateKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CAError(f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CAError(f"{path}: not a readable PEM private key ({type(exc).__name__})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CAError(f"{path}: expected an ECDSA P-256 key")
    return key


def _read_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CAError(f"{path}: not a readable PEM certificate ({type(exc).__name__})") from None


def load_or_create_ca(directory: Path, *, days: int = CA_DAYS) -> CertificateAuthority:
    """The CA in `directory`, created (10 years, ECDSA P-256) when there is none yet."""
    directory = _prepare(directory)
    with _locked(directory):
        key_path, cert_path = directory / CA_KEY, directory / CA_CERT
        if not key_path.exists():
            if cert_path.exists():
                raise CAError(f"{cert_path} exists without its key {key_path}; restore the key or remove both")
            ca = CertificateAuthority.create(days=days)
            _write(key_path, key_pem(ca.key), 0o600)
            _write(cert_path, ca.pem, 0o644)
            return ca
        ca = CertificateAuthority(_read_private(key_path), _read_cert(cert_path))
    if not ca.check_pair():
        raise CAError(f"{cert_path} does not belong to {key_path}")
    return ca


def _usable(ca: CertificateAuthority, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
            names: list[str], valid_until: datetime) -> bool:
    return (
        ca.signed(cert)
        and cert.public_key().public_numbers() == key.public_key().public_numbers()
        and {n.strip().strip("[]") for n in names if n.strip()} <= server_names(cert)
        and cert.not_valid_after_utc > valid_until
    )


def load_or_create_server_cert(
    ca: CertificateAuthority, directory: Path, names: list[str], *, days: int = SERVER_DAYS,
    valid_until: datetime | None = None,
) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) for the gRPC listener, covering `names`.

    Re-issued when the stored one is not this CA's, misses a name, or expires before `valid_until`
    (default: 30 days from now); another process may already have renewed it, then that one is used.
    """
    directory = _prepare(directory)
    key_path, cert_path = directory / SERVER_KEY, directory / SERVER_CERT
    with _locked(directory):
        valid_until = valid_until or datetime.now(UTC) + RENEW_SERVER_BEFORE
        if key_path.exists() and cert_path.exists():
            key, cert = _read_private(key_path), _read_cert(cert_path)
            if _usable(ca, key, cert, names, valid_until):
                return key_pem(key), cert_pem(cert)
        key = new_key()
        cert = ca.issue_server(key, names, days=days)
        _write(key_path, key_pem(key), 0o600)
        _write(cert_path, cert_pem(cert), 0o644)
        return key_pem(key), cert_pem(cert)
