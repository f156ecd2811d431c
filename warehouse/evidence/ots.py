"""Our own parser of the OpenTimestamps `.ots` format, evaluating each op as it reads.

Layout of a detached proof: header magic, major version (LEB128 varuint, must be 1), the file hash op
tag and its digest, then the timestamp tree. A tree node is a list of branches: every branch but the
last is introduced by 0xff; a branch is either an attestation (0x00, 8-byte tag, varbytes payload) or
an op (one tag byte, plus varbytes argument for append/prepend) followed by the subtree for the op's
result. Ops are applied while parsing so the limits (4096-byte messages) hold on real values and each
attestation ends up with the exact commitment it attests to.

The `opentimestamps` library is not used here: verification must not depend on the code that made the
proofs. Tests cross-check both on the real example proofs.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from warehouse.evidence.errors import (
    BadMagicError,
    CorruptProofError,
    OtsParseError,
    ProofLimitError,
    TruncatedProofError,
    UnknownOpError,
    UnsupportedVersionError,
)

MAGIC = b"\x00OpenTimestamps\x00\x00Proof\x00\xbf\x89\xe2\xe8\x84\xe8\x92\x94"
"""The first 31 bytes of every detached `.ots` proof."""

MAJOR_VERSION = 1

BITCOIN_TAG = bytes.fromhex("0588960d73d71901")
PENDING_TAG = bytes.fromhex("83dfe30d2ef90c8e")
LITECOIN_TAG = bytes.fromhex("06869a0d73d71b45")
ETHEREUM_TAG = bytes.fromhex("30fe8087b5c7ead7")

_URI_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._/:")
_FORK = 0xFF
_ATTESTATION = 0x00


@dataclass(frozen=True)
class OtsLimits:
    """Every safety limit of the parser in one place (defaults are the reference implementation's)."""

    max_msg_length: int = 4096
    max_depth: int = 256
    max_proof_bytes: int = 1 << 20
    max_payload: int = 8192
    max_uri_length: int = 1000
    max_varuint_bytes: int = 9  # 63 bits: ample for heights and lengths, no bignum surprises


DEFAULT_LIMITS = OtsLimits()

# tag -> (name, digest length) for hash ops; the only ops allowed as a file hash
_HASHES: dict[int, tuple[str, int]] = {0x02: ("sha1", 20), 0x03: ("ripemd160", 20), 0x08: ("sha256", 32),
                                       0x67: ("keccak256", 32)}
_UNARY: dict[int, str] = {0xF2: "reverse", 0xF3: "hexlify"}
_BINARY: dict[int, str] = {0xF0: "append", 0xF1: "prepend"}
_NAMES = {tag: name for tag, (name, _) in _HASHES.items()} | _UNARY | _BINARY


@dataclass(frozen=True)
class Op:
    """One edge of the proof tree: a tag and, for append/prepend, its argument."""

    tag: int
    arg: bytes = b""

    @property
    def name(self) -> str:
        """The op's name as the reference client prints it."""
        return _NAMES.get(self.tag, f"0x{self.tag:02x}")

    def apply(self, msg: bytes, limits: OtsLimits = DEFAULT_LIMITS) -> bytes:
        """The op's result on `msg`; a message or result over the limits is a `ProofLimitError`."""
        max_msg = limits.max_msg_length // 2 if self.tag == 0xF3 else limits.max_msg_length
        if len(msg) > max_msg:
            raise ProofLimitError(f"{self.name}: message too long {len(msg)} > {max_msg}")
        if self.tag in _HASHES:
            result = _digest(self.tag, msg)
        elif self.tag == 0xF0:
            result = msg + self.arg
        elif self.tag == 0xF1:
            result = self.arg + msg
        elif not msg:  # reverse / hexlify of nothing would let the commitment graph loop
            raise CorruptProofError(f"{self.name} of an empty message")
        elif self.tag == 0xF2:
            result = msg[::-1]
        else:
            result = binascii.hexlify(msg)
        if len(result) > limits.max_msg_length:
            raise ProofLimitError(f"{self.name}: result too long {len(result)} > {limits.max_msg_length}")
        return result

    def __str__(self) -> str:
        return f"{self.name} {self.arg.hex()}" if self.arg else self.name


@dataclass(frozen=True)
class Attestation:
    """A leaf of the tree: who vouches that the commitment existed (kind bitcoin/pending/... or unknown)."""

    kind: str
    tag: bytes
    payload: bytes
    height: int | None = None
    uri: str | None = None


@dataclass
class TimestampNode:
    """A message in the proof tree, with the attestations on it and the ops leading on from it."""

    msg: bytes
    attestations: list[Attestation] = field(default_factory=list)
    branches: list[tuple[Op, TimestampNode]] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[bytes, Attestation, tuple[Op, ...]]]:
        """Every (commitment, attestation, ops from this node) in the subtree, depth first."""
        stack: list[tuple[TimestampNode, tuple[Op, ...]]] = [(self, ())]
        while stack:
            node, ops = stack.pop()
            for attestation in node.attestations:
                yield node.msg, attestation, ops
            for op, child in reversed(node.branches):
                stack.append((child, (*ops, op)))


@dataclass
class OtsProof:
    """A parsed detached proof: the file's hash op and digest, and the evaluated timestamp tree."""

    version: int
    hash_op: Op
    file_digest: bytes
    timestamp: TimestampNode

    def attestations(self) -> list[tuple[bytes, Attestation]]:
        """Every attestation with the commitment it attests to (the message at its node)."""
        return [(msg, attestation) for msg, attestation, _ in self.timestamp.walk()]


def parse_ots(data: bytes, limits: OtsLimits = DEFAULT_LIMITS) -> OtsProof:
    """Parse a detached `.ots` proof; anything malformed raises a subclass of `OtsParseError`."""
    if len(data) > limits.max_proof_bytes:
        raise ProofLimitError(f"proof is {len(data)} bytes, over the {limits.max_proof_bytes}-byte limit")
    reader = _Reader(data, limits)
    head = data[: len(MAGIC)]
    if head != MAGIC:
        if MAGIC.startswith(head):
            raise TruncatedProofError(f"proof truncated inside the header magic ({len(head)} bytes)")
        raise BadMagicError("not an OpenTimestamps proof: the header magic is missing")
    reader.pos = len(MAGIC)
    version = reader.varuint("major version")
    if version != MAJOR_VERSION:
        raise UnsupportedVersionError(f"unsupported proof major version {version} (only 1 is defined)")
    tag = reader.byte("file hash op")
    if tag not in _HASHES:
        if tag in _NAMES:
            raise UnknownOpError(f"op 0x{tag:02x} ({_NAMES[tag]}) cannot hash a file; expected "
                                 "sha1, ripemd160, sha256 or keccak256")
        raise UnknownOpError(f"unknown file hash op tag 0x{tag:02x}")
    name, length = _HASHES[tag]
    digest = reader.take(length, f"{name} file digest")
    timestamp = reader.timestamp(digest, depth=0)
    reader.expect_end()
    return OtsProof(version=version, hash_op=Op(tag), file_digest=digest, timestamp=timestamp)


def parse_timestamp(data: bytes, msg: bytes, limits: OtsLimits = DEFAULT_LIMITS) -> TimestampNode:
    """Parse a bare timestamp tree for `msg` (what a calendar answers), requiring every byte be used."""
    reader = _Reader(data, limits)
    node = reader.timestamp(msg, depth=0)
    reader.expect_end()
    return node


def hash_file_bytes(op: Op, data: bytes) -> bytes:
    """The digest of a file's bytes under the proof's file hash op (no message-length limit applies)."""
    if op.tag not in _HASHES:
        raise UnknownOpError(f"op {op.name} cannot hash a file")
    return _digest(op.tag, data)


class _Reader:
    def __init__(self, data: bytes, limits: OtsLimits):
        self.data = data
        self.pos = 0
        self.limits = limits

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise TruncatedProofError(
                f"proof truncated at byte {self.pos}: {what} needs {n} bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def varuint(self, what: str) -> int:
        # LEB128: seven bits per byte, low group first, high bit set on every byte but the last
        value = 0
        for index in range(self.limits.max_varuint_bytes):
            b = self.byte(what)
            value |= (b & 0x7F) << (7 * index)
            if not b & 0x80:
                return value
        raise ProofLimitError(f"{what}: varuint longer than {self.limits.max_varuint_bytes} bytes at byte {self.pos}")

    def varbytes(self, what: str, max_len: int, min_len: int = 0) -> bytes:
        start = self.pos
        n = self.varuint(f"{what} length")
        if n > max_len:
            raise CorruptProofError(f"{what} at byte {start}: length {n} over the maximum {max_len}")
        if n < min_len:
            raise CorruptProofError(f"{what} at byte {start}: length {n} under the minimum {min_len}")
        return self.take(n, what)

    def expect_end(self) -> None:
        if self.pos != len(self.data):
            raise CorruptProofError(f"{len(self.data) - self.pos} trailing bytes after the proof at byte {self.pos}")

    def timestamp(self, msg: bytes, depth: int) -> TimestampNode:
        if depth >= self.limits.max_depth:
            raise ProofLimitError(f"proof nested deeper than {self.limits.max_depth} levels")
        node = TimestampNode(msg)
        tag = self.byte("op or attestation tag")
        while tag == _FORK:
            self.branch(node, self.byte("op or attestation tag"), depth)
            tag = self.byte("op or attestation tag")
        self.branch(node, tag, depth)
        return node

    def branch(self, node: TimestampNode, tag: int, depth: int) -> None:
        if tag == _ATTESTATION:
            node.attestations.append(self.attestation())
            return
        at = self.pos - 1
        if tag in _BINARY:
            op = Op(tag, self.varbytes(f"{_BINARY[tag]} argument", self.limits.max_msg_length, min_len=1))
        elif tag in _HASHES or tag in _UNARY:
            op = Op(tag)
        else:
            raise UnknownOpError(f"unknown op tag 0x{tag:02x} at byte {at}")
        try:
            result = op.apply(node.msg, self.limits)
        except CorruptProofError as exc:
            raise type(exc)(f"op at byte {at}: {exc}") from exc
        node.branches.append((op, self.timestamp(result, depth + 1)))

    def attestation(self) -> Attestation:
        tag = self.take(8, "attestation tag")
        payload = self.varbytes("attestation payload", self.limits.max_payload)
        if tag == PENDING_TAG:
            sub = _Reader(payload, self.limits)
            uri = sub.varbytes("pending calendar URI", self.limits.max_uri_length)
            sub.expect_end()
            bad = sorted(set(uri) - _URI_CHARS)
            if bad:
                raise CorruptProofError(f"pending calendar URI holds a forbidden character {bytes(bad[:1])!r}")
            return Attestation("pending", tag, payload, uri=uri.decode("ascii"))
        if tag == BITCOIN_TAG:
            sub = _Reader(payload, self.limits)
            height = sub.varuint("bitcoin block height")
            sub.expect_end()
            return Attestation("bitcoin", tag, payload, height=height)
        # Litecoin and Ethereum are kept as unknown notaries: named, never verified here.
        kind = {LITECOIN_TAG: "litecoin", ETHEREUM_TAG: "ethereum"}.get(tag, "unknown")
        height = _height_or_none(payload, self.limits) if kind != "unknown" else None
        return Attestation(kind, tag, payload, height=height)


def _height_or_none(payload: bytes, limits: OtsLimits) -> int | None:
    try:
        sub = _Reader(payload, limits)
        height = sub.varuint("height")
        sub.expect_end()
        return height
    except OtsParseError:
        return None


def _digest(tag: int, msg: bytes) -> bytes:
    if tag == 0x67:
        return _keccak256(msg)
    return hashlib.new(_HASHES[tag][0], msg).digest()


def _keccak256(msg: bytes) -> bytes:
    # Keccak-256 (Ethereum's, not SHA3-256) is not in hashlib; pycryptodomex comes with opentimestamps.
    try:
        from Cryptodome.Hash import keccak
    except ImportError as exc:
        raise UnknownOpError("keccak256 needs the pycryptodomex package") from exc
    return keccak.new(digest_bits=256, data=msg).digest()
