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
import secrets
from pathlib import Path
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing

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
    """The server's Ed25519 key at `path`, generated (mode 0600) on first start.

    The flywheel signs bundles with the same file, so both go through one loader.
    """
    from warehouse.bundles import load_or_create_signing_key as load_or_create
    from warehouse.errors import SigningKeyError

    try:
        return load_or_create(path)
    except SigningKeyError as exc:
        raise KeyFileError(str(exc)) from exc


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
