"""Our .ots parser against the real example proofs, the reference library, and broken input."""

from __future__ import annotations

import json

import pytest
from opentimestamps.core.serialize import BytesDeserializationContext
from opentimestamps.core.timestamp import DetachedTimestampFile

from warehouse.evidence.errors import (
    BadMagicError,
    CorruptProofError,
    OtsParseError,
    ProofLimitError,
    TruncatedProofError,
    UnknownOpError,
    UnsupportedVersionError,
)
from warehouse.evidence.ots import (
    BITCOIN_TAG,
    ETHEREUM_TAG,
    LITECOIN_TAG,
    MAGIC,
    PENDING_TAG,
    Op,
    OtsLimits,
    parse_ots,
    parse_timestamp,
)

VALID = ["bad-stamp.txt.ots", "bitcoin.pdf.ots", "different-blockchains.txt.ots", "empty.ots",
         "gdp2q25-2nd.pdf.ots", "hello-world.txt.ots", "incomplete.txt.ots", "known-and-unknown-notary.txt.ots",
         "merkle1.txt.ots", "merkle2.txt.ots", "merkle3.txt.ots", "sha1/a-or-b.ots", "two-calendars.txt.ots",
         "unknown-notary.txt.ots"]
DIGEST = bytes(32)


def _varuint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _varbytes(b: bytes) -> bytes:
    return _varuint(len(b)) + b


def _att(tag: bytes, payload: bytes) -> bytes:
    return b"\x00" + tag + _varbytes(payload)


def _proof(tree: bytes, version: int = 1, digest: bytes = DIGEST) -> bytes:
    """A detached sha256 proof around a raw timestamp tree."""
    return MAGIC + _varuint(version) + b"\x08" + digest + tree


BITCOIN_358391 = _att(BITCOIN_TAG, _varuint(358391))


@pytest.mark.parametrize("name", VALID)
def test_parse_ots_real_proof_matches_manifest(ots_dir, name):
    manifest = json.loads((ots_dir / "proofs_manifest.json").read_text())[name]
    proof = parse_ots((ots_dir / name).read_bytes())
    assert proof.version == 1
    assert proof.hash_op.name == manifest["hash_op"]
    assert proof.file_digest.hex() == manifest["file_digest"]
    got = sorted((a.kind, a.height, c.hex()) for c, a in proof.attestations() if a.kind == "bitcoin")
    want = sorted(("bitcoin", a["height"], a["commitment_internal_order"])
                  for a in manifest["attestations"] if a["type"] == "bitcoin")
    assert got == want
    calendars = sorted(a.uri for _, a in proof.attestations() if a.kind == "pending")
    assert calendars == sorted(a["calendar"] for a in manifest["attestations"] if a["type"] == "pending")


_LIBRARY_KINDS = {"BitcoinBlockHeaderAttestation": "bitcoin", "PendingAttestation": "pending",
                  "EthereumBlockHeaderAttestation": "ethereum", "UnknownAttestation": "unknown"}


@pytest.mark.parametrize("name", VALID)
def test_parse_ots_real_proof_agrees_with_reference_library(ots_dir, name):
    data = (ots_dir / name).read_bytes()
    ours = parse_ots(data)
    theirs = DetachedTimestampFile.deserialize(BytesDeserializationContext(data))
    assert ours.file_digest == theirs.file_digest
    assert sorted((c, a.kind, a.height if a.kind == "bitcoin" else None) for c, a in ours.attestations()) == sorted(
        (c, _LIBRARY_KINDS[type(a).__name__], getattr(a, "height", None) if _LIBRARY_KINDS[type(a).__name__]
         == "bitcoin" else None) for c, a in theirs.timestamp.all_attestations())


def test_parse_ots_hello_world_path_is_real_bitcoin_tx(ots_dir):
    proof = parse_ots((ots_dir / "hello-world.txt.ots").read_bytes())
    ((commitment, att, ops),) = list(proof.timestamp.walk())
    assert att.height == 358391
    assert commitment.hex() == "007ee445d23ad061af4a36b809501fab1ac4f2d7e7a739817dd0cbb7ec661b8a"
    assert ops[0].name == "ripemd160" and ops[1].name == "prepend"
    assert [op.name for op in ops[-2:]] == ["sha256", "sha256"]


def test_parse_ots_unknown_notaries_kept_named(ots_dir):
    proof = parse_ots((ots_dir / "different-blockchains.txt.ots").read_bytes())
    kinds = sorted(a.kind for _, a in proof.attestations())
    assert kinds == ["bitcoin", "ethereum", "pending", "pending"]
    eth = next(a for _, a in proof.attestations() if a.kind == "ethereum")
    assert eth.height == 3283713 and eth.tag == ETHEREUM_TAG
    unknown = [a for _, a in parse_ots((ots_dir / "unknown-notary.txt.ots").read_bytes()).attestations()]
    assert [(a.kind, a.tag.hex()) for a in unknown] == [("unknown", "0102030405060708")]


def test_parse_ots_litecoin_kept_as_notary_not_verified():
    proof = parse_ots(_proof(_att(LITECOIN_TAG, _varuint(1234))))
    ((_, att),) = proof.attestations()
    assert (att.kind, att.height) == ("litecoin", 1234)


# --- the invalid examples ------------------------------------------------------------------------


def test_parse_ots_bad_major_version_typed(ots_dir):
    with pytest.raises(UnsupportedVersionError, match="1151"):
        parse_ots((ots_dir / "invalid/bad-major-version.ots").read_bytes())


def test_parse_ots_exceeds_max_msg_length_typed(ots_dir):
    with pytest.raises(ProofLimitError, match="4112 > 4096"):
        parse_ots((ots_dir / "invalid/exceeds-max-msg-length.ots").read_bytes())


def test_parse_ots_hexlify_as_file_hash_typed(ots_dir):
    with pytest.raises(UnknownOpError, match="0xf3 .hexlify. cannot hash a file"):
        parse_ots((ots_dir / "invalid/invalid-file-digest-type.ots").read_bytes())


# --- broken input --------------------------------------------------------------------------------


def test_parse_ots_every_truncation_typed(ots_dir):
    data = (ots_dir / "different-blockchains.txt.ots").read_bytes()
    for cut in range(len(data)):
        with pytest.raises(TruncatedProofError):
            parse_ots(data[:cut])


def test_parse_ots_every_single_byte_flip_typed_or_parses(ots_dir):
    # No flipped byte may escape as anything but a typed parse error (never a traceback).
    data = (ots_dir / "hello-world.txt.ots").read_bytes()
    for index in range(len(data)):
        for mask in (0x01, 0x80):
            flipped = bytearray(data)
            flipped[index] ^= mask
            try:
                parse_ots(bytes(flipped))
            except OtsParseError:
                pass


def test_parse_ots_bad_magic_typed():
    with pytest.raises(BadMagicError):
        parse_ots(b"\x00OpenTimestamps\x00\x00Proof\x00XXXXXXXX" + b"\x01\x08" + DIGEST + BITCOIN_358391)
    with pytest.raises(BadMagicError):
        parse_ots(b"%PDF-1.4 not a proof at all, but long enough to hold a header")


def test_parse_ots_trailing_garbage_typed():
    with pytest.raises(CorruptProofError, match="trailing"):
        parse_ots(_proof(BITCOIN_358391) + b"\x00")


def test_parse_ots_unknown_op_typed():
    with pytest.raises(UnknownOpError, match="0x42"):
        parse_ots(_proof(b"\x42" + BITCOIN_358391))


def test_parse_ots_varuint_overlong_typed():
    with pytest.raises(ProofLimitError, match="varuint"):
        parse_ots(MAGIC + b"\x81" * 20)


def test_parse_ots_version_zero_unsupported():
    with pytest.raises(UnsupportedVersionError):
        parse_ots(_proof(BITCOIN_358391, version=0))


def test_parse_ots_deep_nesting_limited():
    deep = b"\x08" * 300 + BITCOIN_358391
    with pytest.raises(ProofLimitError, match="deeper than 256"):
        parse_ots(_proof(deep))
    assert len(parse_ots(_proof(b"\x08" * 200 + BITCOIN_358391)).attestations()) == 1


def test_parse_ots_custom_limits_apply():
    with pytest.raises(ProofLimitError):
        parse_ots(_proof(b"\x08" * 10 + BITCOIN_358391), OtsLimits(max_depth=5))


def test_parse_ots_append_empty_arg_corrupt():
    with pytest.raises(CorruptProofError, match="minimum 1"):
        parse_ots(_proof(b"\xf0\x00" + BITCOIN_358391))


def test_parse_ots_append_over_limit_corrupt():
    with pytest.raises(CorruptProofError, match="maximum 4096"):
        parse_ots(_proof(b"\xf0" + _varuint(5000) + b"a" * 5000 + BITCOIN_358391))


def test_parse_ots_hexlify_limit_halves():
    # hexlify doubles the message: 2049 bytes may not be hexlified (2 * 2049 > 4096)
    grow = b"\xf0" + _varbytes(b"a" * (2049 - 32))
    with pytest.raises(ProofLimitError, match="message too long 2049 > 2048"):
        parse_ots(_proof(grow + b"\xf3" + BITCOIN_358391))


def test_parse_ots_pending_uri_forbidden_char_corrupt():
    with pytest.raises(CorruptProofError, match="forbidden character"):
        parse_ots(_proof(_att(PENDING_TAG, _varbytes(b"https://evil.example/?q=1"))))


def test_parse_ots_pending_uri_too_long_corrupt():
    with pytest.raises(CorruptProofError, match="maximum 1000"):
        parse_ots(_proof(_att(PENDING_TAG, _varbytes(b"a" * 1001))))


def test_parse_ots_bitcoin_payload_extra_bytes_corrupt():
    with pytest.raises(CorruptProofError, match="trailing"):
        parse_ots(_proof(_att(BITCOIN_TAG, _varuint(358391) + b"\x00")))


def test_parse_ots_payload_over_limit_corrupt():
    with pytest.raises(CorruptProofError, match="maximum 8192"):
        parse_ots(_proof(b"\x00" + b"\x01" * 8 + _varuint(9000) + b"x" * 9000))


def test_parse_ots_oversized_input_refused():
    with pytest.raises(ProofLimitError, match="over the"):
        parse_ots(b"\x00" * (2 << 20))


def test_parse_ots_forks_parse_all_branches():
    tree = b"\xff" + BITCOIN_358391 + b"\xff\x08" + _att(PENDING_TAG, _varbytes(b"https://a.example")) + \
        b"\xf0" + _varbytes(b"x") + _att(BITCOIN_TAG, _varuint(7))
    proof = parse_ots(_proof(tree))
    found = sorted((a.kind, a.height, a.uri) for _, a in proof.attestations())
    assert found == [("bitcoin", 7, None), ("bitcoin", 358391, None), ("pending", None, "https://a.example")]
    commitments = {a.height: c for c, a in proof.attestations() if a.kind == "bitcoin"}
    assert commitments[358391] == DIGEST and commitments[7] == DIGEST + b"x"


def test_parse_timestamp_bare_tree_needs_every_byte():
    assert parse_timestamp(BITCOIN_358391, DIGEST).attestations[0].height == 358391
    with pytest.raises(CorruptProofError):
        parse_timestamp(BITCOIN_358391 + b"\x00", DIGEST)


# --- ops and varuints ----------------------------------------------------------------------------


@pytest.mark.parametrize(("encoded", "value"), [
    (b"\x00", 0), (b"\x7f", 127), (b"\x80\x01", 128), (b"\xff\x7f", 16383), (b"\xf7\xef\x15", 358391),
])
def test_varuint_leb128_vectors(encoded, value):
    proof = parse_ots(_proof(_att(BITCOIN_TAG, encoded)))
    assert proof.attestations()[0][1].height == value
    assert _varuint(value) == encoded


@pytest.mark.parametrize(("tag", "message", "hexdigest"), [
    (0x08, b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (0x02, b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (0x03, b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (0x67, b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
])
def test_op_hash_known_vectors(tag, message, hexdigest):
    assert Op(tag).apply(message).hex() == hexdigest


def test_op_unary_and_binary_results():
    assert Op(0xF0, b"yz").apply(b"x") == b"xyz"
    assert Op(0xF1, b"ab").apply(b"c") == b"abc"
    assert Op(0xF2).apply(b"abc") == b"cba"
    assert Op(0xF3).apply(b"\x01\xff") == b"01ff"
    with pytest.raises(CorruptProofError, match="empty"):
        Op(0xF2).apply(b"")
    assert str(Op(0xF0, b"\x01")) == "append 01"
