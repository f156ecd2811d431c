"""The CA and server certificate on disk: made once, 0600 keys, refused when tampered or exposed."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from serving.pki import store
from serving.pki.ca import CertificateAuthority, cert_pem, key_pem, new_key, server_names
from serving.pki.errors import CAError

NAMES = ["localhost", "127.0.0.1", "::1"]


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_load_or_create_ca_files_modes_and_reload_same(tmp_path):
    ca_dir = tmp_path / "ca"
    first = store.load_or_create_ca(ca_dir)
    assert _mode(ca_dir) == 0o700
    assert _mode(ca_dir / "ca.key") == 0o600 and _mode(ca_dir / "ca.crt") == 0o644
    again = store.load_or_create_ca(ca_dir)
    assert again.pem == first.pem and again.check_pair()


def test_load_or_create_ca_concurrent_starts_one_ca(tmp_path):
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(store.load_or_create_ca(tmp_path).pem))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 4


def test_ca_key_readable_by_others_refused(tmp_path):
    store.load_or_create_ca(tmp_path)
    os.chmod(tmp_path / "ca.key", 0o644)
    with pytest.raises(CAError, match="chmod 600"):
        store.load_or_create_ca(tmp_path)


def test_ca_key_garbage_refused(tmp_path):
    store.load_or_create_ca(tmp_path)
    (tmp_path / "ca.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CAError, match="ca.key"):
        store.load_or_create_ca(tmp_path)


def test_ca_cert_swapped_refused(tmp_path):
    store.load_or_create_ca(tmp_path)
    (tmp_path / "ca.crt").write_bytes(CertificateAuthority.create().pem)
    with pytest.raises(CAError, match="does not belong"):
        store.load_or_create_ca(tmp_path)


def test_ca_cert_without_key_refused(tmp_path):
    store.load_or_create_ca(tmp_path)
    (tmp_path / "ca.key").unlink()
    with pytest.raises(CAError, match="without its key"):
        store.load_or_create_ca(tmp_path)


def test_server_cert_made_reused_and_covers_loopback(tmp_path):
    ca = store.load_or_create_ca(tmp_path)
    key1, cert1 = store.load_or_create_server_cert(ca, tmp_path, NAMES)
    assert _mode(tmp_path / "server.key") == 0o600
    parsed = x509.load_pem_x509_certificate(cert1)
    assert {"127.0.0.1", "localhost"} <= server_names(parsed) and ca.signed(parsed)
    assert store.load_or_create_server_cert(ca, tmp_path, NAMES) == (key1, cert1)


def test_server_cert_reissued_for_new_name_new_ca_or_near_expiry(tmp_path):
    ca = store.load_or_create_ca(tmp_path)
    _, cert1 = store.load_or_create_server_cert(ca, tmp_path, NAMES)
    _, cert2 = store.load_or_create_server_cert(ca, tmp_path, [*NAMES, "central.example"])
    assert cert2 != cert1 and "central.example" in server_names(x509.load_pem_x509_certificate(cert2))

    other = CertificateAuthority.create()
    _, cert3 = store.load_or_create_server_cert(other, tmp_path, NAMES)
    assert other.signed(x509.load_pem_x509_certificate(cert3))

    # A certificate 10 days from expiry is replaced at the next start.
    key = new_key()
    old = other.issue_server(key, NAMES, days=10)
    (tmp_path / "server.key").write_bytes(key_pem(key))
    (tmp_path / "server.crt").write_bytes(cert_pem(old))
    _, cert4 = store.load_or_create_server_cert(other, tmp_path, NAMES)
    assert x509.load_pem_x509_certificate(cert4).not_valid_after_utc > datetime.now(UTC) + timedelta(days=300)
