"""Secrets Central Command makes and checks: API keys, role tokens, the signing key, sealed boxes.

Keys and tokens are 256-bit random strings, so a fast hash (SHA-256) at rest is the right choice:
there is no password to brute-force, and a slow KDF would only slow every request down.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing

from contracts.envelope import dump_signing_key, dump_verify_key, generate_signing_key, load_signing_key
from contracts.errors import MalformedEnvelopeError
from serving.errors import BadRequest, ServingError

APPLIANCE_KEY_PREFIX = "osa_"
"""Appliance API keys start with this, role tokens with `TOKEN_PREFIX`: one glance tells them apart."""
TOKEN_PREFIX = "ost_"


class KeyFileError(ServingError):
    """The server signing key file is unreadable, malformed or readable by others."""


def new_secret(prefix: str) -> str:
    """A fresh 256-bit secret, URL-safe, with its kind's prefix."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a key or token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def load_or_create_signing_key(path: Path) -> nacl.signing.SigningKey:
    """The server's Ed25519 key at `path`, generated (mode 0600) on first start."""
    path = path.expanduser()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = generate_signing_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs below
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(dump_signing_key(key))
            path.with_suffix(".pub").write_text(dump_verify_key(key.verify_key))
            return key
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"signing key {path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
    try:
        return load_signing_key(path.read_text())
    except (OSError, MalformedEnvelopeError) as exc:
        raise KeyFileError(f"signing key {path}: {exc}") from exc


def parse_public_key(value: str, what: str) -> bytes:
    """32 raw key bytes from base64 text; anything else is a BadRequest naming the field."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise BadRequest(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def check_box_key(raw: bytes, what: str = "box_public_key") -> bytes:
    """Refuse an X25519 key nothing can be sealed to (all zeros, a low-order point)."""
    try:
        nacl.public.SealedBox(nacl.public.PublicKey(raw)).encrypt(b"probe")
    except nacl.exceptions.CryptoError as exc:
        raise BadRequest(f"{what} is not a usable X25519 public key") from exc
    return raw


def check_verify_key(raw: bytes, what: str = "signing_public_key") -> bytes:
    """Refuse 32 bytes that are not a valid Ed25519 point (no signature could ever verify)."""
    try:
        nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(raw)
    except nacl.exceptions.CryptoError as exc:
        raise BadRequest(f"{what} is not a valid Ed25519 public key") from exc
    return raw


def seal(box_public_key: bytes, secret: dict[str, Any]) -> bytes:
    """Seal a JSON object to an X25519 public key (libsodium sealed box): only its owner opens it."""
    plaintext = json.dumps(secret, separators=(",", ":"), sort_keys=True).encode()
    return nacl.public.SealedBox(nacl.public.PublicKey(box_public_key)).encrypt(plaintext)


def b64(data: bytes | None) -> str | None:
    """Bytes as base64 text (None stays None)."""
    return None if data is None else base64.b64encode(data).decode()
