"""Verifying a file's .ots proof offline against checked block headers."""

from __future__ import annotations

import json

import pytest
from opentimestamps.core.notary import BitcoinBlockHeaderAttestation
from opentimestamps.core.op import OpAppend, OpSHA256
from opentimestamps.core.serialize import BytesDeserializationContext, BytesSerializationContext
from opentimestamps.core.timestamp import DetachedTimestampFile

from warehouse.evidence.errors import (
    AttestationMismatchError,
    BadHeaderError,
    DigestMismatchError,
    MissingHeaderError,
    ProofLimitError,
    UnknownOpError,
    UnsupportedVersionError,
)
from warehouse.evidence.headers import HeadersFile
from warehouse.evidence.ots import parse_ots
from warehouse.evidence.verify import verify_ots, verify_ots_file

# proofs whose stamped file is present but whose block has no header in shared data
MISSING = {"empty.ots": ("empty", 129405), "different-blockchains.txt.ots": ("different-blockchains.txt", 455605),
           "sha1/a-or-b.ots": ("sha1/a", 466906)}


def _hello(ots_dir, headers):
    return verify_ots_file(ots_dir / "hello-world.txt", (ots_dir / "hello-world.txt.ots").read_bytes(), headers)


def test_verify_hello_world_verified_height_and_time(ots_dir, headers):
    result = _hello(ots_dir, headers)
    assert result.verified and result.error is None
    doc = result.to_dict()
    assert (doc["verified"], doc["height"], doc["time"]) == (True, 358391, 1432827678)
    assert doc["attestations"] == [{"chain": "bitcoin", "status": "verified", "height": 358391, "time": 1432827678,
                                    "time_iso": "2015-05-28T15:41:18Z",
                                    "block_hash": "000000000000000003e892881a8cdcdc117c06d444057c98b6f04a9ee75a2319"}]


@pytest.mark.parametrize("name", sorted(MISSING))
def test_verify_other_real_proofs_name_missing_header(ots_dir, headers, name):
    stamped, height = MISSING[name]
    result = verify_ots_file(ots_dir / stamped, (ots_dir / name).read_bytes(), headers)
    assert result.status == "missing-header" and not result.verified
    assert f"height {height}" in result.reason
    missing = [a for a in result.attestations if a.status == "missing-header"]
    assert [a.height for a in missing] == [height]
    manifest = json.loads((ots_dir / "proofs_manifest.json").read_text())[name]
    expected = [a["expected_merkleroot_rpc_order"] for a in manifest["attestations"] if a["type"] == "bitcoin"]
    assert [a.to_dict()["merkleroot"] for a in missing] == expected


@pytest.mark.parametrize(("name", "height"), [("bitcoin.pdf.ots", 465751), ("gdp2q25-2nd.pdf.ots", 912095)])
def test_verify_proof_without_its_file_reports_attestations(ots_dir, headers, name, height):
    result = verify_ots((ots_dir / name).read_bytes(), headers)
    assert result.status == "missing-header"
    assert [(a.chain, a.height) for a in result.attestations] == [("bitcoin", height)]


def test_verify_different_blockchains_lists_every_notary(ots_dir, headers):
    result = verify_ots_file(ots_dir / "different-blockchains.txt",
                             (ots_dir / "different-blockchains.txt.ots").read_bytes(), headers)
    assert sorted((a.chain, a.status) for a in result.attestations) == [
        ("bitcoin", "missing-header"), ("ethereum", "unknown"), ("pending", "pending"), ("pending", "pending")]


def test_verify_sha1_collision_both_files_match_digest(ots_dir, headers):
    proof = (ots_dir / "sha1/a-or-b.ots").read_bytes()
    for name in ("a", "b"):  # a digest mismatch would make it "failed"; only the header is missing
        assert verify_ots_file(ots_dir / "sha1" / name, proof, headers).status == "missing-header"


def test_verify_bad_stamp_fails_with_reason(ots_dir, headers):
    result = verify_ots_file(ots_dir / "bad-stamp.txt", (ots_dir / "bad-stamp.txt.ots").read_bytes(), headers)
    assert result.status == "failed"
    assert isinstance(result.error, AttestationMismatchError)
    assert "1bb49db8" in result.reason and "8a1b66ec" in result.reason


@pytest.mark.parametrize(("name", "error", "words"), [
    ("bad-major-version.ots", UnsupportedVersionError, "major version 1151"),
    ("exceeds-max-msg-length.ots", ProofLimitError, "result too long 4112 > 4096"),
    ("invalid-file-digest-type.ots", UnknownOpError, "cannot hash a file"),
])
def test_verify_invalid_proofs_fail_with_reason(ots_dir, headers, name, error, words):
    result = verify_ots((ots_dir / "invalid" / name).read_bytes(), headers)
    assert result.status == "failed" and isinstance(result.error, error)
    assert words in result.reason
    assert result.to_dict()["error"] == error.__name__


def test_verify_pending_only_is_pending_not_verified(ots_dir, headers):
    result = verify_ots_file(ots_dir / "incomplete.txt", (ots_dir / "incomplete.txt.ots").read_bytes(), headers)
    assert (result.status, result.verified) == ("pending", False)
    assert "alice.btc.calendar.opentimestamps.org" in result.reason


def test_verify_unknown_notary_only_unverifiable(ots_dir, headers):
    result = verify_ots_file(ots_dir / "unknown-notary.txt", (ots_dir / "unknown-notary.txt.ots").read_bytes(),
                             headers)
    assert result.status == "unverifiable" and not result.verified


def test_verify_without_headers_names_height(ots_dir):
    result = _hello(ots_dir, None)
    assert result.status == "missing-header" and "358391" in result.reason


def test_verify_flipped_file_byte_fails(ots_dir, headers, tmp_path):
    data = bytearray((ots_dir / "hello-world.txt").read_bytes())
    for index in range(len(data)):
        flipped = bytearray(data)
        flipped[index] ^= 0x01
        result = verify_ots((ots_dir / "hello-world.txt.ots").read_bytes(), headers, data=bytes(flipped))
        assert result.status == "failed" and isinstance(result.error, DigestMismatchError)


def _messages(data: bytes) -> list[bytes]:
    messages, node = [], parse_ots(data).timestamp
    while node.branches:
        messages.append(node.msg)
        node = node.branches[0][1]
    return messages + [node.msg]


def test_verify_every_flipped_proof_byte_fails(ots_dir, headers):
    data = (ots_dir / "hello-world.txt.ots").read_bytes()
    file = (ots_dir / "hello-world.txt").read_bytes()
    survivors = []
    for index in range(len(data)):
        for mask in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[index] ^= mask
            result = verify_ots(bytes(flipped), headers, data=file)
            if result.verified:
                survivors.append((index, mask))
                # Only a flip that commits through the very same values may still verify.
                assert _messages(bytes(flipped)) == _messages(data), f"byte {index} ^ {mask:#x} verifies"
            else:
                assert result.reason
    # The one survivor: byte 603 turns `append X` into `prepend X` where the message already equals X
    # (Bitcoin pairs an odd last transaction with itself), so the proof still commits to the same root.
    assert survivors == [(603, 0x01)]


def test_verify_flipped_header_byte_fails(ots_dir):
    doc = json.loads((ots_dir / "block_headers.json").read_text())
    raw = bytearray.fromhex(doc["358391"]["header_hex"])
    raw[50] ^= 0x01  # inside the merkle root
    doc["358391"]["header_hex"] = raw.hex()
    result = _hello(ots_dir, HeadersFile(doc))
    assert result.status == "failed" and isinstance(result.error, BadHeaderError)
    assert "untrusted header" in result.reason


def test_verify_one_good_one_forged_attestation_fails(ots_dir, headers):
    # A good Bitcoin attestation must not vouch for a proof that also carries a forged one.
    detached = DetachedTimestampFile.deserialize(
        BytesDeserializationContext((ots_dir / "hello-world.txt.ots").read_bytes()))
    forged = detached.timestamp.ops.add(OpAppend(b"forged")).ops.add(OpSHA256())
    forged.attestations.add(BitcoinBlockHeaderAttestation(358391))
    ctx = BytesSerializationContext()
    detached.serialize(ctx)
    result = verify_ots(ctx.getbytes(), headers, data=(ots_dir / "hello-world.txt").read_bytes())
    assert result.status == "failed" and isinstance(result.error, AttestationMismatchError)
    assert sorted(a.status for a in result.attestations) == ["failed", "verified"]


def test_verify_missing_header_error_carries_height(ots_dir, headers):
    result = verify_ots((ots_dir / "empty.ots").read_bytes(), headers)
    (att,) = result.attestations
    assert isinstance(att.error, MissingHeaderError) and att.error.height == 129405
