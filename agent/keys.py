"""The appliance's own keys, generated on first start and kept 0600 in its state directory.

- `evidence.key`: Ed25519, signs evidence bundles (Central Command learns the public half).
- `box.key`: X25519, opens credentials Central Command sealed to this appliance (libsodium sealed box).

A key file readable by group or others is refused, as ssh refuses a private key it could leak.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.signing

from agent.errors import KeyFileError
from contracts.envelope import dump_signing_key, key_id, load_signing_key
from contracts.errors import MalformedEnvelopeError

EVIDENCE_KEY_FILE = "evidence.key"
BOX_KEY_FILE = "box.key"
_BOX_HEADER = "-- osiris x25519 box key --"


@dataclass(frozen=True)
class ApplianceKeys:
    """The appliance's evidence signing key and its box key."""

    signing_key: nacl.signing.SigningKey
    box_key: Any  # nacl.public.PrivateKey (imported lazily)

    @property
    def signing_key_id(self) -> str:
        """The evidence key's id (as `contracts.envelope.key_id`)."""
        return key_id(self.signing_key.verify_key)

    def public_keys(self) -> dict[str, str]:
        """The body of `PUT /api/appliances/me/keys`: both public halves, base64 of 32 bytes."""
        return {
            "box_public_key": base64.b64encode(bytes(self.box_key.public_key)).decode(),
            "signing_public_key": base64.b64encode(bytes(self.signing_key.verify_key)).decode(),
        }

    def open_sealed(self, sealed_b64: str) -> bytes:
        """Open a sealed box addressed to this appliance; raises KeyFileError if it is not ours."""
        import nacl.exceptions
        import nacl.public

        try:
            return nacl.public.SealedBox(self.box_key).decrypt(base64.b64decode(sealed_b64, validate=True))
        except (nacl.exceptions.CryptoError, binascii.Error, ValueError) as exc:
            raise KeyFileError(f"sealed credential does not open with this appliance's box key: {exc}") from None


def _write_private(path: Path, text: str) -> None:
    # 0600 from the first byte: the file never exists with wider permissions, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o600)


def _read_private(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
        return path.read_text()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None


def _load_box_key(text: str, path: Path) -> Any:
    import nacl.public

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) != 2 or lines[0] != _BOX_HEADER:
        raise KeyFileError(f"{path} is not an osiris box key file")
    try:
        raw = base64.b64decode(lines[1], validate=True)
    except binascii.Error:
        raise KeyFileError(f"{path}: key is not base64") from None
    if len(raw) != 32:
        raise KeyFileError(f"{path}: expected 32 key bytes, found {len(raw)}")
    return nacl.public.PrivateKey(raw)


def ensure_keys(state_dir: Path) -> ApplianceKeys:
    """Load the appliance keys, generating any that do not exist yet (0600)."""
    import nacl.public

    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sign_path, box_path = state_dir / EVIDENCE_KEY_FILE, state_dir / BOX_KEY_FILE
    if not sign_path.exists():
        _write_private(sign_path, dump_signing_key(nacl.signing.SigningKey.generate()))
    if not box_path.exists():
        raw = bytes(nacl.public.PrivateKey.generate())
        _write_private(box_path, f"{_BOX_HEADER}\n{base64.b64encode(raw).decode()}\n")
    return load_keys(state_dir)


def load_keys(state_dir: Path) -> ApplianceKeys:
    """Load both appliance keys; raises KeyFileError when one is missing, malformed or too open."""
    sign_path, box_path = state_dir / EVIDENCE_KEY_FILE, state_dir / BOX_KEY_FILE
    try:
        signing = load_signing_key(_read_private(sign_path))
    except MalformedEnvelopeError as exc:
        raise KeyFileError(f"{sign_path}: {exc}") from None
    return ApplianceKeys(signing_key=signing, box_key=_load_box_key(_read_private(box_path), box_path))
