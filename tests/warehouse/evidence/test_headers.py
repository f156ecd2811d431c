"""Block headers are trusted by proof of work: real ones pass, flipped or fabricated ones fail."""

from __future__ import annotations

import json
import struct

import pytest

from tests.warehouse.evidence.bitcoind_server import FakeBitcoind
from tests.warehouse.evidence.calendar_server import dsha256, header_entry, mine_header
from warehouse.evidence.errors import BadHeaderError, HeadersFileError, HeaderSourceError, MissingHeaderError
from warehouse.evidence.headers import BitcoindHeaders, HeadersFile, bits_to_target, check_header

HEIGHT = 358391


@pytest.fixture(scope="module")
def real(ots_dir) -> dict:
    """The real 358391 entry."""
    return json.loads((ots_dir / "block_headers.json").read_text())[str(HEIGHT)]


def test_headers_file_real_header_checks(headers):
    header = headers.header(HEIGHT)
    assert header.block_hash == "000000000000000003e892881a8cdcdc117c06d444057c98b6f04a9ee75a2319"
    assert header.merkle_root[::-1].hex() == "8a1b66ecb7cbd07d8139a7e7d7f2c41aab1f5009b8364aaf61d03ad245e47e00"
    assert (header.time, header.time_iso) == (1432827678, "2015-05-28T15:41:18Z")
    assert (header.version, header.bits, header.nonce) == (2, 0x181686F5, 4141773410)
    assert headers.heights() == [HEIGHT]


def test_headers_file_missing_height_typed(headers):
    with pytest.raises(MissingHeaderError, match="129405") as info:
        headers.header(129405)
    assert info.value.height == 129405


def test_headers_file_every_flipped_header_byte_fails(real):
    raw = bytes.fromhex(real["header_hex"])
    for index in range(80):
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        entry = dict(real, header_hex=flipped.hex())
        with pytest.raises(BadHeaderError, match="hashes to"):
            HeadersFile({str(HEIGHT): entry}).header(HEIGHT)


@pytest.mark.parametrize(("field", "value"), [
    ("merkleroot", "00" * 32), ("merkleroot_internal", "11" * 32), ("time", 1432827679),
    ("bits", "1d00ffff"), ("nonce", 1), ("version", 3), ("previousblockhash", "22" * 32), ("time", "soon"),
])
def test_headers_file_doctored_claim_fails(real, field, value):
    with pytest.raises(BadHeaderError, match=field):
        HeadersFile({str(HEIGHT): dict(real, **{field: value})}).header(HEIGHT)


def test_headers_file_claimed_hash_of_other_block_fails(real):
    with pytest.raises(BadHeaderError, match="not to the block hash it claims"):
        HeadersFile({str(HEIGHT): dict(real, hash=real["previousblockhash"])}).header(HEIGHT)


def test_headers_file_regtest_fabrication_fails_on_mainnet():
    raw = mine_header(bytes(32), bytes.fromhex("ab" * 32), 1_700_000_000)
    entries = {"5": header_entry(raw)}
    with pytest.raises(BadHeaderError, match="easier than mainnet's minimum difficulty"):
        HeadersFile(entries).header(5)
    assert HeadersFile(entries, network="regtest").header(5).merkle_root == bytes.fromhex("ab" * 32)


def test_check_header_no_work_for_its_bits_fails():
    # A hard target (mainnet-like bits) that an unmined header does not meet.
    raw = struct.pack("<i32s32sIII", 2, bytes(32), bytes(32), 1_700_000_000, 0x1D00FFFF, 0)
    with pytest.raises(BadHeaderError, match="above the target"):
        check_header(raw, 1, dsha256(raw)[::-1].hex())


def test_check_header_wrong_length_fails():
    with pytest.raises(BadHeaderError, match="79 bytes"):
        check_header(bytes(79), 1, "00" * 32)


@pytest.mark.parametrize(("bits", "target"), [
    (0x1D00FFFF, 0xFFFF << 208), (0x181686F5, 0x1686F5 << 168), (0x207FFFFF, 0x7FFFFF << 232), (0x03123456, 0x123456),
    (0x02123456, 0x1234),
])
def test_bits_to_target_vectors(bits, target):
    assert bits_to_target(bits) == target


@pytest.mark.parametrize(("bits", "why"), [(0x1D800001, "negative"), (0x1D000000, "zero"), (0x23010000, "over")])
def test_bits_to_target_bad_encoding_fails(bits, why):
    with pytest.raises(BadHeaderError, match=why):
        bits_to_target(bits)


@pytest.mark.parametrize("entry", [None, "x", {"hash": "00"}, {"header_hex": "zz", "hash": "00"}])
def test_headers_file_malformed_entry_fails(entry):
    with pytest.raises(BadHeaderError):
        HeadersFile({"1": entry}).header(1)


def test_headers_file_bad_key_fails():
    with pytest.raises(HeadersFileError, match="not a block height"):
        HeadersFile({"tip": {}})


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_headers_file_unreadable_typed(tmp_path, content):
    path = tmp_path / "h.json"
    path.write_bytes(content)
    with pytest.raises(HeadersFileError):
        HeadersFile.load(path)
    with pytest.raises(HeadersFileError, match="cannot read"):
        HeadersFile.load(tmp_path / "absent.json")


# --- bitcoind RPC --------------------------------------------------------------------------------


def test_bitcoind_headers_real_header_via_rpc(real):
    node = FakeBitcoind({str(HEIGHT): real})
    try:
        source = BitcoindHeaders(node.url, timeout=5)
        assert source.header(HEIGHT).time == 1432827678
        assert "s3cret" not in source.description
        assert node.auth[0].startswith("Basic ")
        with pytest.raises(MissingHeaderError):
            source.header(1)
        source.close()
    finally:
        node.close()


def test_bitcoind_headers_lying_node_fails(real):
    node = FakeBitcoind({str(HEIGHT): real}, lie=True)
    try:
        with pytest.raises(BadHeaderError, match="hashes to"):
            BitcoindHeaders(node.url, timeout=5).header(HEIGHT)
    finally:
        node.close()


def test_bitcoind_headers_unreachable_typed_without_secret():
    with pytest.raises(HeaderSourceError, match="unreachable") as info:
        BitcoindHeaders("http://u:topsecret@127.0.0.1:9/", timeout=2).header(1)
    assert "topsecret" not in str(info.value)
