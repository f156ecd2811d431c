"""Signed envelopes, rules bundles and orders: every refusal is its own error class."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from contracts.bundles import BUNDLE_PAYLOAD_TYPE, sign_bundle, verify_bundle
from contracts.envelope import (
    Keyring,
    dump_signing_key,
    dump_verify_key,
    generate_signing_key,
    key_id,
    load_signing_key,
    load_verify_key,
    pae,
    sign_envelope,
    verify_envelope,
)
from contracts.errors import (
    BadSignatureError,
    ExpiredError,
    MalformedEnvelopeError,
    MalformedPayloadError,
    NotYetValidError,
    UnknownKeyError,
    VersionRollbackError,
)
from contracts.incidents import utcnow

RULES = [{"id": "L1-FIREWALL-001", "action": "execute_runbook", "runbook_id": "RB-WIN-FIREWALL-001"}]


@pytest.fixture
def key():
    return generate_signing_key()


@pytest.fixture
def ring(key):
    return Keyring.of(key.verify_key)


def _flip_payload_byte(envelope: bytes, index: int = 5) -> bytes:
    env = json.loads(envelope)
    raw = bytearray(base64.b64decode(env["payload"]))
    raw[index] ^= 0x01
    env["payload"] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(env).encode()


def test_pae_matches_dsse_spec_example():
    # The DSSE spec's worked example: PAE("http://example.com/HelloWorld", "hello world").
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_envelope_roundtrip_returns_exact_payload(key, ring):
    payload = b'{"b":1,  "a":2}'  # odd spacing: the verifier must hand back these exact bytes
    env = sign_envelope(payload, "application/x-test", key)
    assert verify_envelope(env, ring, "application/x-test") == payload


def test_envelope_flipped_payload_byte_bad_signature(key, ring):
    env = sign_envelope(b"payload bytes here", "application/x-test", key)
    with pytest.raises(BadSignatureError):
        verify_envelope(_flip_payload_byte(env), ring, "application/x-test")


def test_envelope_other_key_unknown_key(key):
    env = sign_envelope(b"x", "application/x-test", key)
    with pytest.raises(UnknownKeyError):
        verify_envelope(env, Keyring.of(generate_signing_key().verify_key), "application/x-test")


def test_envelope_empty_keyring_fails_closed(key):
    env = sign_envelope(b"x", "application/x-test", key)
    with pytest.raises(UnknownKeyError):
        verify_envelope(env, Keyring(), "application/x-test")


def test_envelope_forged_keyid_bad_signature(key, ring):
    # A forger claims the trusted key id but signs with another key.
    other = generate_signing_key()
    env = json.loads(sign_envelope(b"x", "application/x-test", other))
    env["signatures"][0]["keyid"] = key_id(key.verify_key)
    with pytest.raises(BadSignatureError):
        verify_envelope(json.dumps(env), ring, "application/x-test")


def test_envelope_rotated_keyring_accepts_either_key(key):
    new = generate_signing_key()
    ring = Keyring.of(key.verify_key, new.verify_key)
    for k in (key, new):
        assert verify_envelope(sign_envelope(b"x", "t/t", k), ring, "t/t") == b"x"


def test_envelope_wrong_payload_type_malformed(key, ring):
    env = sign_envelope(b"x", "application/x-one", key)
    with pytest.raises(MalformedEnvelopeError, match="payloadType"):
        verify_envelope(env, ring, "application/x-two")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b"\xff\xfe",
        b'{"payloadType": "t/t"}',
        b'{"payloadType": "t/t", "payload": "@@@", "signatures": [{"keyid": "x", "sig": "AA=="}]}',
        b'{"payloadType": "t/t", "payload": "AA==", "signatures": []}',
        b'{"payloadType": "t/t", "payload": "AA==", "signatures": "nope"}',
        b'{"payloadType": "t/t", "payload": 7, "signatures": [{"keyid": "x", "sig": "AA=="}]}',
    ],
)
def test_envelope_broken_bytes_malformed(data, ring):
    with pytest.raises(MalformedEnvelopeError):
        verify_envelope(data, ring, "t/t")


def test_envelope_trusted_keyid_garbage_signature_malformed(key, ring):
    env = json.loads(sign_envelope(b"x", "t/t", key))
    env["signatures"][0]["sig"] = "!!not-base64!!"
    with pytest.raises(MalformedEnvelopeError):
        verify_envelope(json.dumps(env), ring, "t/t")


def test_key_files_roundtrip_and_reject_swapped_headers(key):
    assert bytes(load_signing_key(dump_signing_key(key))) == bytes(key)
    assert bytes(load_verify_key(dump_verify_key(key.verify_key))) == bytes(key.verify_key)
    with pytest.raises(MalformedEnvelopeError, match="header"):
        load_verify_key(dump_signing_key(key))
    with pytest.raises(MalformedEnvelopeError):
        load_verify_key("-- osiris ed25519 public key --\nAAAA\n")


def test_bundle_roundtrip(key, ring):
    bundle = verify_bundle(sign_bundle(RULES, version=4, signing_key=key), ring, min_version=4)
    assert bundle.version == 4
    assert bundle.rules == RULES


def test_bundle_expired_refused(key, ring):
    env = sign_bundle(RULES, version=1, signing_key=key, expires_in=timedelta(days=-1))
    with pytest.raises(ExpiredError):
        verify_bundle(env, ring)


def test_bundle_issued_in_future_refused(key, ring):
    env = sign_bundle(RULES, version=1, signing_key=key, now=utcnow() + timedelta(hours=2))
    with pytest.raises(NotYetValidError):
        verify_bundle(env, ring)


def test_bundle_below_min_version_rollback(key, ring):
    env = sign_bundle(RULES, version=2, signing_key=key)
    with pytest.raises(VersionRollbackError):
        verify_bundle(env, ring, min_version=3)


def test_bundle_flipped_byte_bad_signature(key, ring):
    with pytest.raises(BadSignatureError):
        verify_bundle(_flip_payload_byte(sign_bundle(RULES, version=1, signing_key=key)), ring)


def test_bundle_signed_garbage_payload_malformed_payload(key, ring):
    env = sign_envelope(b'{"version": "one"}', BUNDLE_PAYLOAD_TYPE, key)
    with pytest.raises(MalformedPayloadError, match="version"):
        verify_bundle(env, ring)
