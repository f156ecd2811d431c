"""Fuzzing the contracts parsers that take outside bytes: envelopes, bundles, orders, rule sets, evidence.

Every input either parses or raises a `ContractError` subclass; anything else (a TypeError, a
RecursionError, a hang past the deadline) is a bug. Payload mutations are re-signed with the trusted
key, so they get past the signature check and reach the payload parsing behind it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.bundles import BUNDLE_PAYLOAD_TYPE, verify_bundle
from contracts.envelope import Keyring, generate_signing_key, sign_envelope, verify_envelope
from contracts.errors import ContractError
from contracts.evidence import EvidenceBundle, parse_signed, sign_bundle, verify_signed
from contracts.orders import ORDER_PAYLOAD_TYPE, sign_order, verify_order
from contracts.rules import load_rules
from tests.hardening._fuzz import FUZZ, dumps, hostile_bytes, materialize, mutated_doc

pytestmark = pytest.mark.timeout(120)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
KEY = generate_signing_key()
RING = Keyring.of(KEY.verify_key)
APPLIANCE = "6f1c1d52-5c1b-4a8e-9c59-0d6f3c1e2a11"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

RULES = json.loads((VECTORS / "rules" / "seed_firewall.json").read_text())
BUNDLE_PAYLOAD = {"version": 3, "issued_at": "2026-11-26T11:00:00Z", "expires_at": "2026-12-26T11:00:00Z",
                  "rules": RULES if isinstance(RULES, list) else RULES.get("rules", [])}
_, ORDER_ENV = sign_order(
    "sync_promoted_rule",
    {"rule": {"id": "L1-X-1", "conditions": [{"field": "check_type", "operator": "eq", "value": "x"}],
              "action": "escalate"}},
    signing_key=KEY, target_appliance_id=APPLIANCE, now=NOW,
)
ORDER_PAYLOAD = json.loads(base64.b64decode(json.loads(ORDER_ENV)["payload"]))
SIGNED_EVIDENCE = sign_bundle(
    EvidenceBundle(bundle_id="b-1", site_id="s-1", appliance_id=APPLIANCE, kind="check", check_type="firewall",
                   target="pc-1", result="pass", before={"enabled": True, "n": [1, 2.5]}, created_at=NOW),
    KEY,
).model_dump(mode="json")


def _resigned(payload_type: str) -> st.SearchStrategy[bytes]:
    """Hostile payload bytes inside an envelope the trusted key really signed."""
    sample = BUNDLE_PAYLOAD if payload_type == BUNDLE_PAYLOAD_TYPE else ORDER_PAYLOAD
    return hostile_bytes(sample).map(lambda payload: sign_envelope(payload, payload_type, KEY))


def _never_seen(_nonce: str) -> bool:
    return False


@FUZZ
@given(data=hostile_bytes(json.loads(ORDER_ENV)))
def test_verify_envelope_hostile_bytes_typed_error(data):
    try:
        verify_envelope(data, RING, ORDER_PAYLOAD_TYPE)
    except ContractError:
        pass


@FUZZ
@given(doc=mutated_doc(json.loads(ORDER_ENV)).filter(lambda d: isinstance(d, dict)))
def test_verify_envelope_hostile_mapping_typed_error(doc):
    # Callers may hand over an already-decoded object (the check-in answer's orders are JSON objects).
    try:
        verify_envelope(materialize(doc), RING, ORDER_PAYLOAD_TYPE)
    except ContractError:
        pass


@FUZZ
@given(data=st.one_of(_resigned(BUNDLE_PAYLOAD_TYPE), hostile_bytes(sample_bytes=sign_envelope(
    dumps(BUNDLE_PAYLOAD), BUNDLE_PAYLOAD_TYPE, KEY))))
def test_verify_bundle_hostile_bytes_typed_error(data):
    try:
        verify_bundle(data, RING, min_version=2, now=NOW)
    except ContractError:
        pass


@FUZZ
@given(data=st.one_of(_resigned(ORDER_PAYLOAD_TYPE), hostile_bytes(sample_bytes=ORDER_ENV)))
def test_verify_order_hostile_bytes_typed_error(data):
    try:
        verify_order(data, RING, appliance_id=APPLIANCE, nonce_seen=_never_seen, now=NOW)
    except ContractError:
        pass


_RULE_TEXTS = [(VECTORS / "rules" / name).read_bytes() for name in ("seed_firewall.json", "valid_nested_groups.yaml")]


@FUZZ
@given(data=st.one_of(hostile_bytes(sample_doc=RULES), *(hostile_bytes(sample_bytes=t) for t in _RULE_TEXTS)))
def test_load_rules_hostile_text_typed_error(data):
    try:
        load_rules(data)
    except ContractError:
        pass


@FUZZ
@given(doc=mutated_doc(RULES))
def test_load_rules_hostile_objects_typed_error(doc):
    try:
        load_rules(materialize(doc))
    except ContractError:
        pass


@FUZZ
@given(data=hostile_bytes(SIGNED_EVIDENCE))
def test_parse_signed_evidence_hostile_bytes_typed_error(data):
    try:
        signed = parse_signed(data)
    except ContractError:
        return
    try:
        verify_signed(signed, KEY.verify_key)
    except ContractError:
        pass


@FUZZ
@given(doc=mutated_doc(SIGNED_EVIDENCE).filter(lambda d: isinstance(d, dict)))
def test_parse_signed_evidence_hostile_mapping_typed_error(doc):
    try:
        signed = parse_signed(materialize(doc))
    except ContractError:
        return
    try:
        verify_signed(signed, KEY.verify_key)
    except ContractError:
        pass


def test_fuzz_samples_are_valid():
    # The mutations start from inputs that pass: otherwise the fuzzing would never get deep.
    assert verify_bundle(sign_envelope(dumps(BUNDLE_PAYLOAD), BUNDLE_PAYLOAD_TYPE, KEY), RING, now=NOW).version == 3
    assert verify_order(ORDER_ENV, RING, appliance_id=APPLIANCE, nonce_seen=_never_seen,
                        now=NOW + timedelta(minutes=1)).type == "sync_promoted_rule"
    assert len(load_rules(RULES)) >= 1
    verify_signed(parse_signed(dumps(SIGNED_EVIDENCE)), KEY.verify_key)
