"""Every private key Osiris writes is 0600 (its folder 0700), and a key readable by others is refused.

Keys are made with the process umask at 0, so a mode can only be right because the code sets it, not
because the test machine's umask happened to hide group and world bits.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask for the duration of the test."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_server_signing_key_0600_and_refused_when_open(tmp_path, open_umask):
    from serving.security import KeyFileError, load_or_create_signing_key

    path = tmp_path / "home" / "keys" / "signing.key"
    load_or_create_signing_key(path)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_or_create_signing_key(path)


async def test_app_lifespan_signing_key_0600(api):
    # What `osiris serve` does at start: the key under $OSIRIS_HOME/keys, made by the app's lifespan.
    path = api.app.state.settings.signing_key_file()
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def test_ca_and_server_keys_0600_and_refused_when_open(tmp_path, open_umask):
    from serving.pki.errors import CAError
    from serving.pki.store import CA_KEY, SERVER_KEY, load_or_create_ca, load_or_create_server_cert

    folder = tmp_path / "ca"
    ca = load_or_create_ca(folder)
    load_or_create_server_cert(ca, folder, ["127.0.0.1"])
    assert _mode(folder) == 0o700
    assert _mode(folder / CA_KEY) == 0o600 and _mode(folder / SERVER_KEY) == 0o600
    (folder / CA_KEY).chmod(0o640)
    with pytest.raises(CAError, match="readable by others"):
        load_or_create_ca(folder)


def test_agent_keys_0600_and_refused_when_open(tmp_path, open_umask):
    from agent.errors import KeyFileError
    from agent.keys import BOX_KEY_FILE, EVIDENCE_KEY_FILE, ensure_keys, load_keys

    state = tmp_path / "state"
    ensure_keys(state)
    assert _mode(state) == 0o700
    assert _mode(state / EVIDENCE_KEY_FILE) == 0o600 and _mode(state / BOX_KEY_FILE) == 0o600
    (state / BOX_KEY_FILE).chmod(0o604)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_keys(state)


def test_agent_grpc_key_0600(tmp_path, open_umask):
    from agent.grpc_client import GRPC_DIR, KEY_FILE, GrpcIdentity, new_key_and_csr, save_identity

    key_pem, _ = new_key_and_csr()
    save_identity(tmp_path, GrpcIdentity(key_pem=key_pem, cert_pem=b"cert", ca_pem=b"ca"))
    assert _mode(tmp_path / GRPC_DIR) == 0o700 and _mode(tmp_path / GRPC_DIR / KEY_FILE) == 0o600


def test_bundle_signing_key_0600_and_refused_when_open(tmp_path, open_umask):
    from warehouse.bundles import load_or_create_signing_key
    from warehouse.errors import SigningKeyError

    path = tmp_path / "bundles" / "signing.key"
    load_or_create_signing_key(path)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="readable by others"):
        load_or_create_signing_key(path)


def test_cli_keys_generate_0600(tmp_path):
    out = tmp_path / "keys"
    proc = subprocess.run([sys.executable, "-m", "cli.main", "keys", "generate", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, umask=0)
    assert proc.returncode == 0, proc.stderr
    assert _mode(out / "signing.key") == 0o600
    assert _mode(out / "signing.pub") & 0o077 != 0  # the public half is meant to be shared
