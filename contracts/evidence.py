"""Evidence bundles: canonical bytes, appliance signatures, the per-site hash chain and Merkle batches.

An appliance signs one bundle per check run and per heal; Central Command chains a site's bundles
(`prev_hash`) and batches chain hashes into a Merkle tree whose root is timestamped. Everything here
is pure: it verifies bytes and values handed to it and never reads files or sockets.

Hash layout (all SHA-256, each with its own prefix so no value can stand in for another kind):
- bundle hash  = H("osiris/evidence/bundle/v1\\0" || canonical_bytes(bundle))
- chain hash   = H("osiris/evidence/chain/v1\\0" || prev_hash || bundle_hash), genesis prev = 32 zero bytes
- Merkle leaf  = H(0x00 || leaf data), where leaf data is the 32-byte chain hash
- Merkle node  = H(0x01 || left || right); an unpaired node is *promoted* unchanged to the next level.
  Promotion, not duplication: duplicating the last node lets [a, b, c] and [a, b, c, c] share a root
  (Bitcoin's CVE-2012-2459), which would make "this batch had n bundles" unprovable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import nacl.exceptions
import nacl.signing
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from contracts.envelope import key_id
from contracts.errors import (
    EvidenceKeyMismatchError,
    EvidenceSignatureError,
    MalformedEvidenceError,
    MerkleInputError,
    MerklePathError,
)

SIGNING_CONTEXT = b"osiris/evidence/signature/v1\x00"
"""Prefix of the signed bytes, so an appliance key's evidence signature is valid for nothing else."""

GENESIS_HASH = "00" * 32
"""The `prev_hash` of a site's first bundle."""

_BUNDLE_PREFIX = b"osiris/evidence/bundle/v1\x00"
_CHAIN_PREFIX = b"osiris/evidence/chain/v1\x00"
_LEAF = b"\x00"
_NODE = b"\x01"
_HEX64 = r"^[0-9a-f]{64}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceBundle(_Model):
    """What one check run or heal found on one target, as the appliance signs it."""

    bundle_id: str = Field(min_length=1, max_length=128)
    site_id: str = Field(min_length=1, max_length=128)
    appliance_id: str = Field(min_length=1, max_length=128)
    kind: Literal["check", "heal"]
    check_type: str = Field(min_length=1, max_length=128)
    target: str = Field(min_length=1, max_length=512)
    result: str = Field(min_length=1, max_length=64)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # A naive time has no meaning to an auditor in another zone; the signed form is always UTC.
        if value.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        return value.astimezone(UTC)

    @field_validator("before", "after")
    @classmethod
    def _finite(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # JSON has no spelling for NaN or infinity; pydantic would silently sign them as null.
        _reject_non_finite(value)
        return value

    @field_serializer("created_at")
    def _fixed_time(self, value: datetime) -> str:
        # One fixed layout (always microseconds, always Z) so the canonical bytes never depend on
        # how a particular serializer trims zeros.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SignedEvidence(_Model):
    """A bundle with the appliance's Ed25519 signature over its canonical bytes."""

    bundle: EvidenceBundle
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    signature: str = Field(min_length=1, description="base64 of the 64-byte Ed25519 signature")


class ChainedEvidence(_Model):
    """A signed bundle as Central Command stores it: its place in the site's chain and its chain hash."""

    signed: SignedEvidence
    seq: int = Field(ge=0)
    prev_hash: str = Field(pattern=_HEX64)
    hash: str = Field(pattern=_HEX64)

    @property
    def bundle_id(self) -> str:
        """The id of the bundle this entry holds."""
        return self.signed.bundle.bundle_id


class ChainBreak(_Model):
    """One place where a site's chain does not hold, naming the bundle where it was found."""

    bundle_id: str
    seq: int
    kind: Literal["altered", "gap", "prev_mismatch", "genesis", "order", "site"]
    detail: str


class MerkleStep(_Model):
    """One step of a Merkle path: the sibling hash and on which side of the running hash it sits."""

    side: Literal["left", "right"]
    hash: str = Field(pattern=_HEX64)


def canonical_bytes(bundle: EvidenceBundle) -> bytes:
    """The bundle as sorted-key compact JSON in UTF-8: the exact bytes that are signed and hashed."""
    try:
        doc = bundle.model_dump(mode="json")
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # A JSON "\ud800" escape decodes to an unpaired surrogate, which has no UTF-8 form and so no
        # canonical bytes to sign or hash. (The message leaves the text out: it cannot be encoded either.)
        raise MalformedEvidenceError("bundle text holds an unpaired surrogate (not valid Unicode)") from exc
    except (ValueError, RecursionError) as exc:
        # pydantic refuses to write facts nested past its depth limit (about 255 levels).
        raise MalformedEvidenceError("bundle facts are nested too deeply to serialise") from exc


def evidence_key_id(verify_key: nacl.signing.VerifyKey) -> str:
    """The id of an appliance's evidence key; the same id `contracts.envelope.key_id` gives any key."""
    return key_id(verify_key)


def sign_bundle(bundle: EvidenceBundle, signing_key: nacl.signing.SigningKey) -> SignedEvidence:
    """Sign a bundle with the appliance's own key."""
    signature = signing_key.sign(SIGNING_CONTEXT + canonical_bytes(bundle)).signature
    return SignedEvidence(
        bundle=bundle,
        key_id=evidence_key_id(signing_key.verify_key),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def verify_signed(signed: SignedEvidence, verify_key: nacl.signing.VerifyKey) -> None:
    """Raise unless `signed` carries a valid signature by `verify_key` over its bundle's canonical bytes."""
    if signed.key_id != evidence_key_id(verify_key):
        raise EvidenceKeyMismatchError(
            f"bundle {signed.bundle.bundle_id}: signed by key {signed.key_id}, "
            f"not by the given key {evidence_key_id(verify_key)}"
        )
    try:
        signature = base64.b64decode(signed.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EvidenceSignatureError(f"bundle {signed.bundle.bundle_id}: signature is not base64") from exc
    if len(signature) != 64:
        raise EvidenceSignatureError(f"bundle {signed.bundle.bundle_id}: signature is not 64 bytes")
    try:
        verify_key.verify(SIGNING_CONTEXT + canonical_bytes(signed.bundle), signature)
    except nacl.exceptions.BadSignatureError as exc:
        raise EvidenceSignatureError(
            f"bundle {signed.bundle.bundle_id}: signature does not verify (bundle altered or wrong key)"
        ) from exc


def parse_signed(data: bytes | str | dict[str, Any]) -> SignedEvidence:
    """A `SignedEvidence` from JSON text or a decoded object; anything malformed is a typed error."""
    try:
        if isinstance(data, dict):
            return SignedEvidence.model_validate(data)
        return SignedEvidence.model_validate_json(data)
    except ValidationError as exc:
        raise MalformedEvidenceError(f"not a signed evidence bundle: {exc.errors()[0]['msg']}") from exc


def bundle_hash(bundle: EvidenceBundle | SignedEvidence) -> str:
    """Hex SHA-256 of a bundle's canonical bytes (domain-separated); the signature is not part of it."""
    if isinstance(bundle, SignedEvidence):
        bundle = bundle.bundle
    return hashlib.sha256(_BUNDLE_PREFIX + canonical_bytes(bundle)).hexdigest()


def chain_hash(prev_hash: str, bundle_hash_hex: str) -> str:
    """Hex hash of a chain entry: commits to this bundle and, through `prev_hash`, to all before it."""
    return hashlib.sha256(_CHAIN_PREFIX + _hex32(prev_hash) + _hex32(bundle_hash_hex)).hexdigest()


def chain_entry(signed: SignedEvidence, seq: int, prev_hash: str) -> ChainedEvidence:
    """The chain entry for `signed` placed after the entry whose hash is `prev_hash`."""
    return ChainedEvidence(
        signed=signed, seq=seq, prev_hash=prev_hash, hash=chain_hash(prev_hash, bundle_hash(signed))
    )


def build_chain(
    signed: Sequence[SignedEvidence], *, prev_hash: str = GENESIS_HASH, first_seq: int = 0
) -> list[ChainedEvidence]:
    """Chain bundles in order, continuing from `prev_hash` (the genesis hash for a new site)."""
    entries: list[ChainedEvidence] = []
    for offset, item in enumerate(signed):
        entry = chain_entry(item, first_seq + offset, prev_hash)
        entries.append(entry)
        prev_hash = entry.hash
    return entries


def verify_chain(
    entries: Sequence[ChainedEvidence], *, expected_prev_hash: str | None = None
) -> list[ChainBreak]:
    """Every break in a site's chain (sorted by seq), each naming the bundle where it shows; [] = intact.

    `expected_prev_hash` anchors a partial chain (an export since a date) to the entry before it;
    without it a chain starting at seq 0 must start from the genesis hash.
    """
    breaks: list[ChainBreak] = []

    def add(entry: ChainedEvidence, kind: str, detail: str) -> None:
        breaks.append(ChainBreak(bundle_id=entry.bundle_id, seq=entry.seq, kind=kind, detail=detail))

    site = entries[0].signed.bundle.site_id if entries else None
    for index, entry in enumerate(entries):
        name = f"bundle {entry.bundle_id} (seq {entry.seq})"
        if entry.signed.bundle.site_id != site:
            add(entry, "site", f"{name} belongs to site {entry.signed.bundle.site_id}, not {site}")
        try:
            recomputed = chain_hash(entry.prev_hash, bundle_hash(entry.signed))
        except MalformedEvidenceError as exc:  # no canonical bytes: it cannot be what was chained
            add(entry, "altered", f"{name} cannot be hashed: {exc}")
        else:
            if recomputed != entry.hash:
                add(entry, "altered", f"{name} was altered: its content hashes to {recomputed[:16]}…, "
                    f"the chain recorded {entry.hash[:16]}…")
        if index == 0:
            anchor = expected_prev_hash if expected_prev_hash is not None else (
                GENESIS_HASH if entry.seq == 0 else None)
            if anchor is not None and entry.prev_hash != anchor:
                add(entry, "genesis", f"{name} does not continue from the expected hash {anchor[:16]}…")
            continue
        before = entries[index - 1]
        if entry.seq <= before.seq:
            add(entry, "order", f"{name} comes after seq {before.seq}: entries are out of order")
        elif entry.seq != before.seq + 1:
            missing = f"seq {before.seq + 1}" if entry.seq == before.seq + 2 else (
                f"seq {before.seq + 1}..{entry.seq - 1}")
            add(entry, "gap", f"{missing} missing between bundle {before.bundle_id} and {name}")
        elif entry.prev_hash != before.hash:
            add(entry, "prev_mismatch", f"{name}'s prev_hash does not match the hash of bundle "
                f"{before.bundle_id} (seq {before.seq}): a bundle was removed, inserted or altered")
    return breaks


def merkle_leaf_hash(data: bytes) -> bytes:
    """The leaf hash of one item: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF + data).digest()


def merkle_node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over leaf data in order; an unpaired node is promoted to the next level unchanged."""
    if not leaves:
        raise MerkleInputError("a Merkle tree needs at least one leaf")
    level = [merkle_leaf_hash(leaf) for leaf in leaves]
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def merkle_path(leaves: Sequence[bytes], index: int) -> list[MerkleStep]:
    """The sibling hashes from leaf `index` up to the root (promoted levels add no step)."""
    if not 0 <= index < len(leaves):
        raise MerkleInputError(f"leaf index {index} outside a tree of {len(leaves)} leaves")
    level = [merkle_leaf_hash(leaf) for leaf in leaves]
    path: list[MerkleStep] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            side = "left" if sibling < index else "right"
            path.append(MerkleStep(side=side, hash=level[sibling].hex()))
        index //= 2
        level = _next_level(level)
    return path


def verify_merkle_path(leaf: bytes, path: Sequence[MerkleStep], root: bytes) -> None:
    """Raise `MerklePathError` unless `path` leads from leaf data `leaf` to `root`."""
    running = merkle_leaf_hash(leaf)
    for step in path:
        sibling = bytes.fromhex(step.hash)
        running = merkle_node_hash(sibling, running) if step.side == "left" else merkle_node_hash(running, sibling)
    if running != root:
        raise MerklePathError(f"Merkle path leads to {running.hex()[:16]}…, not to the root {root.hex()[:16]}…")


def _next_level(level: list[bytes]) -> list[bytes]:
    paired = [merkle_node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def _reject_non_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("facts must not hold NaN or infinity")
    if isinstance(value, dict):
        for item in value.values():
            _reject_non_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_non_finite(item)


def _hex32(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise MalformedEvidenceError(f"not a hex hash: {value[:20]!r}") from exc
    if len(raw) != 32:
        raise MalformedEvidenceError(f"hash must be 32 bytes, got {len(raw)}")
    return raw
