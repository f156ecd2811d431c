"""Evidence bundles: canonical bytes, signatures, the per-site chain and the Merkle tree."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import nacl.signing
import pytest

from contracts.errors import (
    EvidenceKeyMismatchError,
    EvidenceSignatureError,
    MalformedEvidenceError,
    MerkleInputError,
    MerklePathError,
)
from contracts.evidence import (
    GENESIS_HASH,
    EvidenceBundle,
    MerkleStep,
    build_chain,
    bundle_hash,
    canonical_bytes,
    chain_entry,
    chain_hash,
    evidence_key_id,
    merkle_leaf_hash,
    merkle_node_hash,
    merkle_path,
    merkle_root,
    parse_signed,
    sign_bundle,
    verify_chain,
    verify_merkle_path,
    verify_signed,
)

KEY = nacl.signing.SigningKey(bytes(range(32)))


def _bundle(n: int = 0, **changes) -> EvidenceBundle:
    fields = dict(
        bundle_id=f"b-{n}", site_id="site-1", appliance_id="app-1", kind="check",
        check_type="firewall_status", target="ws-01", result="pass",
        before={"enabled": False, "profiles": ["domain"]}, after={"enabled": True},
        created_at=datetime(2026, 11, 26, 6, 0, n, tzinfo=UTC),
    )
    fields.update(changes)
    return EvidenceBundle(**fields)


def _chain(n: int = 5):
    return build_chain([sign_bundle(_bundle(i), KEY) for i in range(n)])


# --- canonical bytes -------------------------------------------------------------------------------


def test_canonical_bytes_sorted_compact_utf8():
    raw = canonical_bytes(_bundle(target="pc-é"))
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)
    assert b" " not in raw.replace(b"pc-\xc3\xa9", b"")
    assert "pc-é".encode() in raw
    assert doc["created_at"] == "2026-11-26T06:00:00.000000Z"


def test_canonical_bytes_other_zone_same_instant_same_bytes():
    here = _bundle(created_at=datetime(2026, 11, 26, 7, 0, 0, tzinfo=timezone(timedelta(hours=1))))
    utc = _bundle(created_at=datetime(2026, 11, 26, 6, 0, 0, tzinfo=UTC))
    assert canonical_bytes(here) == canonical_bytes(utc)


def test_bundle_naive_time_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        _bundle(created_at=datetime(2026, 11, 26))


@pytest.mark.parametrize("facts", [{"x": float("nan")}, {"x": [1.0, {"y": float("inf")}]}])
def test_bundle_non_finite_fact_refused(facts):
    # pydantic would otherwise sign NaN as null, so what was signed differs from what was held
    with pytest.raises(ValueError, match="NaN or infinity"):
        _bundle(before=facts)


def test_canonical_bytes_roundtrip_through_json_stable():
    bundle = _bundle(before={"n": 1.5, "k": [1, 2, {"z": None}]})
    again = EvidenceBundle.model_validate_json(canonical_bytes(bundle))
    assert canonical_bytes(again) == canonical_bytes(bundle)


# --- signatures ------------------------------------------------------------------------------------


def test_sign_bundle_verifies_after_json_roundtrip():
    signed = sign_bundle(_bundle(), KEY)
    again = parse_signed(signed.model_dump_json())
    verify_signed(again, KEY.verify_key)
    assert again.key_id == hashlib.sha256(bytes(KEY.verify_key)).hexdigest()[:16] == evidence_key_id(KEY.verify_key)


def test_verify_signed_altered_bundle_fails():
    signed = sign_bundle(_bundle(), KEY)
    doc = json.loads(signed.model_dump_json())
    doc["bundle"]["result"] = "fail"
    with pytest.raises(EvidenceSignatureError, match="b-0"):
        verify_signed(parse_signed(doc), KEY.verify_key)


def test_verify_signed_flipped_signature_fails():
    signed = sign_bundle(_bundle(), KEY)
    raw = bytearray(base64.b64decode(signed.signature))
    raw[10] ^= 1
    forged = signed.model_copy(update={"signature": base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(EvidenceSignatureError):
        verify_signed(forged, KEY.verify_key)


def test_verify_signed_other_key_mismatch():
    other = nacl.signing.SigningKey(bytes(32))
    with pytest.raises(EvidenceKeyMismatchError):
        verify_signed(sign_bundle(_bundle(), KEY), other.verify_key)


def test_verify_signed_key_id_swapped_signature_still_fails():
    # Claiming the verifier's key id does not help a signature made by another key.
    other = nacl.signing.SigningKey(bytes(32))
    signed = sign_bundle(_bundle(), other).model_copy(update={"key_id": evidence_key_id(KEY.verify_key)})
    with pytest.raises(EvidenceSignatureError):
        verify_signed(signed, KEY.verify_key)


@pytest.mark.parametrize("signature", ["!!notbase64", "AAAA"])
def test_verify_signed_garbage_signature_typed_error(signature):
    signed = sign_bundle(_bundle(), KEY).model_copy(update={"signature": signature})
    with pytest.raises(EvidenceSignatureError):
        verify_signed(signed, KEY.verify_key)


@pytest.mark.parametrize("text", ["not json", "{}", '{"bundle": {}, "key_id": "x", "signature": "y"}'])
def test_parse_signed_malformed_typed_error(text):
    with pytest.raises(MalformedEvidenceError):
        parse_signed(text)


# --- chain -----------------------------------------------------------------------------------------


def test_build_chain_links_and_verifies():
    entries = _chain()
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert verify_chain(entries) == []


def test_chain_hash_commits_to_prev():
    h = bundle_hash(_bundle())
    assert chain_hash(GENESIS_HASH, h) != chain_hash("11" * 32, h)


def test_chain_hash_bad_hex_malformed():
    with pytest.raises(MalformedEvidenceError):
        chain_hash("zz", GENESIS_HASH)


def test_bundle_hash_ignores_signature_but_not_content():
    assert bundle_hash(sign_bundle(_bundle(), KEY)) == bundle_hash(_bundle())
    assert bundle_hash(_bundle(result="fail")) != bundle_hash(_bundle())


def test_verify_chain_deleted_bundle_named():
    entries = _chain()
    del entries[2]
    (brk,) = verify_chain(entries)
    assert (brk.kind, brk.bundle_id) == ("gap", "b-3")
    assert "seq 2 missing between bundle b-1" in brk.detail


def test_verify_chain_deleted_and_renumbered_named():
    entries = _chain()
    renumbered = entries[:2] + [e.model_copy(update={"seq": e.seq - 1}) for e in entries[3:]]
    (brk,) = verify_chain(renumbered)
    assert (brk.kind, brk.bundle_id) == ("prev_mismatch", "b-3")


def test_verify_chain_altered_bundle_named():
    entries = _chain()
    altered = entries[2].signed.bundle.model_copy(update={"result": "fail"})
    entries[2] = entries[2].model_copy(update={"signed": entries[2].signed.model_copy(update={"bundle": altered})})
    (brk,) = verify_chain(entries)
    assert (brk.kind, brk.bundle_id) == ("altered", "b-2")


def test_verify_chain_altered_and_rehashed_caught_at_next():
    entries = _chain()
    altered = sign_bundle(entries[2].signed.bundle.model_copy(update={"result": "fail"}), KEY)
    entries[2] = chain_entry(altered, 2, entries[2].prev_hash)
    (brk,) = verify_chain(entries)
    assert (brk.kind, brk.bundle_id) == ("prev_mismatch", "b-3")
    assert "b-2" in brk.detail


def test_verify_chain_partial_needs_anchor():
    entries = _chain()
    assert verify_chain(entries[2:], expected_prev_hash=entries[1].hash) == []
    (brk,) = verify_chain(entries[2:], expected_prev_hash=entries[0].hash)
    assert (brk.kind, brk.bundle_id) == ("genesis", "b-2")


def test_verify_chain_first_not_genesis_named():
    entries = _chain(2)
    first = chain_entry(entries[0].signed, 0, "22" * 32)
    kinds = [(b.kind, b.bundle_id) for b in verify_chain([first, entries[1]])]
    assert kinds == [("genesis", "b-0"), ("prev_mismatch", "b-1")]


def test_verify_chain_other_site_named():
    entries = _chain(2)
    foreign = sign_bundle(_bundle(2, site_id="site-2"), KEY)
    kinds = [b.kind for b in verify_chain([*entries, chain_entry(foreign, 2, entries[1].hash)])]
    assert kinds == ["site"]


def test_verify_chain_reordered_named():
    entries = _chain(3)
    kinds = {b.kind for b in verify_chain([entries[0], entries[2], entries[1]])}
    assert "order" in kinds


def test_verify_chain_empty_intact():
    assert verify_chain([]) == []


# --- Merkle ----------------------------------------------------------------------------------------


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(bytes([i])).digest() for i in range(n)]


def test_merkle_root_domain_separated_layout():
    a, b, c = _leaves(3)
    la, lb, lc = (hashlib.sha256(b"\x00" + x).digest() for x in (a, b, c))
    node = hashlib.sha256(b"\x01" + la + lb).digest()
    assert merkle_root([a]) == la
    assert merkle_root([a, b]) == node
    # c is promoted unchanged, not paired with itself
    assert merkle_root([a, b, c]) == hashlib.sha256(b"\x01" + node + lc).digest()


def test_merkle_root_no_duplicate_last_ambiguity():
    a, b, c = _leaves(3)
    assert merkle_root([a, b, c]) != merkle_root([a, b, c, c])


def test_merkle_root_leaf_cannot_pose_as_node():
    a, b = _leaves(2)
    inner = merkle_node_hash(merkle_leaf_hash(a), merkle_leaf_hash(b))
    assert merkle_root([inner]) != merkle_root([a, b])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17])
def test_merkle_path_every_leaf_verifies(n):
    leaves = _leaves(n)
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        verify_merkle_path(leaf, merkle_path(leaves, index), root)


def test_verify_merkle_path_wrong_leaf_fails():
    leaves = _leaves(5)
    with pytest.raises(MerklePathError):
        verify_merkle_path(leaves[1], merkle_path(leaves, 0), merkle_root(leaves))


def test_verify_merkle_path_flipped_sibling_fails():
    leaves = _leaves(6)
    path = merkle_path(leaves, 3)
    bad = bytearray.fromhex(path[1].hash)
    bad[0] ^= 1
    path[1] = MerkleStep(side=path[1].side, hash=bad.hex())
    with pytest.raises(MerklePathError):
        verify_merkle_path(leaves[3], path, merkle_root(leaves))


def test_verify_merkle_path_swapped_side_fails():
    leaves = _leaves(4)
    path = merkle_path(leaves, 1)
    path[0] = MerkleStep(side="right" if path[0].side == "left" else "left", hash=path[0].hash)
    with pytest.raises(MerklePathError):
        verify_merkle_path(leaves[1], path, merkle_root(leaves))


def test_merkle_empty_and_out_of_range_typed_errors():
    with pytest.raises(MerkleInputError):
        merkle_root([])
    with pytest.raises(MerkleInputError):
        merkle_path(_leaves(3), 3)
