"""Appliance keys: generated once, 0600, refused when too open, sealed boxes open only for us."""

from __future__ import annotations

import base64
import json
import os

import nacl.public
import pytest

from agent.errors import KeyFileError
from agent.keys import BOX_KEY_FILE, EVIDENCE_KEY_FILE, ensure_keys, load_keys


def test_ensure_keys_first_start_writes_0600_files(tmp_path):
    keys = ensure_keys(tmp_path)
    for name in (EVIDENCE_KEY_FILE, BOX_KEY_FILE):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    again = ensure_keys(tmp_path)
    assert again.public_keys() == keys.public_keys() and len(keys.signing_key_id) == 16


def test_load_keys_group_readable_refused(tmp_path):
    ensure_keys(tmp_path)
    os.chmod(tmp_path / BOX_KEY_FILE, 0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_keys(tmp_path)


@pytest.mark.parametrize("text", ["garbage\n", "-- osiris x25519 box key --\n!!!\n", "-- osiris x25519 box key --\nAAAA\n"])
def test_load_keys_malformed_box_key_raises(tmp_path, text):
    ensure_keys(tmp_path)
    path = tmp_path / BOX_KEY_FILE
    path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, text.encode())
    os.close(fd)
    with pytest.raises(KeyFileError):
        load_keys(tmp_path)


def test_open_sealed_roundtrip_and_foreign_box_refused(tmp_path):
    keys = ensure_keys(tmp_path)
    public = nacl.public.PublicKey(base64.b64decode(keys.public_keys()["box_public_key"]))
    sealed = base64.b64encode(nacl.public.SealedBox(public).encrypt(b'{"username": "svc"}')).decode()
    assert json.loads(keys.open_sealed(sealed)) == {"username": "svc"}
    other = nacl.public.PrivateKey.generate().public_key
    foreign = base64.b64encode(nacl.public.SealedBox(other).encrypt(b"x")).decode()
    with pytest.raises(KeyFileError):
        keys.open_sealed(foreign)
    with pytest.raises(KeyFileError):
        keys.open_sealed("not base64 !")
