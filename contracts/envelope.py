"""DSSE-layout envelopes signed with Ed25519, and the keys and keyrings that sign and verify them.

An envelope is `{"payloadType", "payload" (base64), "signatures": [{"keyid", "sig"}]}`; the signature
covers PAE(payloadType, payload) - the exact bytes - so a verifier never re-serialises anything.
Key files hold one header line and the base64 key, so a person can tell them apart at a glance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nacl.exceptions
import nacl.signing

from contracts.errors import BadSignatureError, MalformedEnvelopeError, UnknownKeyError

_SECRET_HEADER = "-- osiris ed25519 signing key --"
_PUBLIC_HEADER = "-- osiris ed25519 public key --"
MAX_ENVELOPE_BYTES = 16 * 1024 * 1024
"""A larger envelope is refused before parsing: no rule bundle or order comes near it."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature actually covers."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def key_id(verify_key: nacl.signing.VerifyKey) -> str:
    """A key's id: the first 16 hex characters of SHA-256 over its 32 raw bytes."""
    return hashlib.sha256(bytes(verify_key)).hexdigest()[:16]


def generate_signing_key() -> nacl.signing.SigningKey:
    """A fresh Ed25519 signing key."""
    return nacl.signing.SigningKey.generate()


def dump_signing_key(key: nacl.signing.SigningKey) -> str:
    """The text of a signing key file (store it 0600)."""
    return f"{_SECRET_HEADER}\n{base64.b64encode(bytes(key)).decode()}\n"


def dump_verify_key(key: nacl.signing.VerifyKey) -> str:
    """The text of a public key file."""
    return f"{_PUBLIC_HEADER}\n{base64.b64encode(bytes(key)).decode()}\n"


def _key_bytes(text: bytes | str, header: str, what: str) -> bytes:
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedEnvelopeError(f"{what} is not ASCII text") from exc
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if lines and lines[0].startswith("--"):
        if lines[0] != header:
            raise MalformedEnvelopeError(f"{what}: expected header {header!r}, found {lines[0]!r}")
        lines = lines[1:]
    if len(lines) != 1:
        raise MalformedEnvelopeError(f"{what}: expected one base64 line")
    try:
        raw = base64.b64decode(lines[0], validate=True)
    except binascii.Error as exc:
        raise MalformedEnvelopeError(f"{what}: not base64") from exc
    if len(raw) != 32:
        raise MalformedEnvelopeError(f"{what}: expected 32 bytes, found {len(raw)}")
    return raw


def load_signing_key(text: bytes | str) -> nacl.signing.SigningKey:
    """Parse a signing key file's text."""
    return nacl.signing.SigningKey(_key_bytes(text, _SECRET_HEADER, "signing key"))


def load_verify_key(text: bytes | str) -> nacl.signing.VerifyKey:
    """Parse a public key file's text."""
    return nacl.signing.VerifyKey(_key_bytes(text, _PUBLIC_HEADER, "public key"))


@dataclass(frozen=True)
class Keyring:
    """The public keys a verifier trusts, by key id; several at once so keys can rotate."""

    keys: Mapping[str, nacl.signing.VerifyKey] = field(default_factory=dict)

    @classmethod
    def of(cls, *verify_keys: nacl.signing.VerifyKey) -> Keyring:
        """A keyring trusting exactly these keys."""
        return cls({key_id(k): k for k in verify_keys})

    @classmethod
    def from_texts(cls, texts: Iterable[bytes | str]) -> Keyring:
        """A keyring from public key file texts."""
        return cls.of(*(load_verify_key(t) for t in texts))

    def __len__(self) -> int:
        return len(self.keys)


def sign_envelope(payload: bytes, payload_type: str, signing_key: nacl.signing.SigningKey) -> bytes:
    """Sign payload bytes into an envelope; returns the envelope's JSON bytes."""
    sig = signing_key.sign(pae(payload_type, payload)).signature
    envelope = {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key_id(signing_key.verify_key), "sig": base64.b64encode(sig).decode()}],
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def _parse(data: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if len(data) > MAX_ENVELOPE_BYTES:
        raise MalformedEnvelopeError(f"envelope larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEnvelopeError(f"envelope is not JSON: {exc}") from exc
    except RecursionError:  # nesting deeper than the interpreter's stack: no envelope looks like that
        raise MalformedEnvelopeError("envelope is not JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise MalformedEnvelopeError("envelope is not a JSON object")
    return obj


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedEnvelopeError(f"{what} is not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedEnvelopeError(f"{what} is not base64") from exc


def verify_envelope(data: bytes | str | Mapping[str, Any], keyring: Keyring, payload_type: str) -> bytes:
    """Check an envelope's type and signature against the keyring; returns the exact payload bytes."""
    env = _parse(data)
    if env.get("payloadType") != payload_type:
        raise MalformedEnvelopeError(f"payloadType is {env.get('payloadType')!r}, expected {payload_type!r}")
    payload = _b64(env.get("payload"), "payload")
    sigs = env.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise MalformedEnvelopeError("envelope has no signatures")
    # An empty keyring trusts nobody: fail closed rather than accept an unverifiable envelope.
    trusted = [s for s in sigs if isinstance(s, dict) and isinstance(s.get("keyid"), str)
               and s["keyid"] in keyring.keys]
    if not trusted:
        ids = ", ".join(str(s.get("keyid")) for s in sigs if isinstance(s, dict))
        raise UnknownKeyError(f"no signature by a trusted key (signed by: {ids or 'nobody'})")
    message = pae(payload_type, payload)
    for sig in trusted:
        try:
            keyring.keys[sig["keyid"]].verify(message, _b64(sig.get("sig"), "signature"))
            return payload
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            continue
    raise BadSignatureError("signature does not verify over the payload (altered or forged)")


def envelope_digest(data: bytes) -> str:
    """The SHA-256 hex digest of an envelope's bytes: its ETag and its identity."""
    return hashlib.sha256(data).hexdigest()
