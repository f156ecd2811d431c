"""Offline verification of one OpenTimestamps proof against checked Bitcoin block headers.

Each attestation gets its own verdict: `verified` (its commitment is the merkle root of a header that
carries its proof of work), `failed` (it is not, or the header is fabricated), `missing-header`,
`pending` (a calendar's promise, not yet in Bitcoin) or `unknown` (a notary this code does not verify:
Litecoin, Ethereum, anything else). A proof is verified when at least one Bitcoin attestation is and
nothing failed: a failing attestation means the proof was tampered with, and that must not hide behind
a good one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.evidence.errors import (
    AttestationMismatchError,
    BadHeaderError,
    DigestMismatchError,
    EvidenceVerifyError,
    HeaderError,
    MissingHeaderError,
    OtsParseError,
)
from warehouse.evidence.headers import HeaderSource
from warehouse.evidence.ots import Attestation, Op, OtsProof, hash_file_bytes, parse_ots


@dataclass
class AttestationResult:
    """The verdict on one attestation of a proof."""

    chain: str
    status: str
    commitment: bytes
    height: int | None = None
    time: int | None = None
    time_iso: str | None = None
    block_hash: str | None = None
    calendar: str | None = None
    tag: str | None = None
    reason: str | None = None
    error: EvidenceVerifyError | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `{"chain", "status", "height", "time", ...}` with unset fields left out."""
        out: dict[str, Any] = {"chain": self.chain, "status": self.status}
        for key in ("height", "time", "time_iso", "block_hash", "calendar", "tag", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.chain == "bitcoin" and self.status != "verified":
            # the merkle root the block must have, so an auditor can look it up elsewhere
            out["merkleroot"] = self.commitment[::-1].hex()
        return out


@dataclass
class OtsResult:
    """The verdict on a proof: overall status, the reason when not verified, every attestation."""

    status: str
    hash_op: str | None = None
    file_digest: bytes | None = None
    attestations: list[AttestationResult] = field(default_factory=list)
    reason: str | None = None
    error: EvidenceVerifyError | None = None

    @property
    def verified(self) -> bool:
        """True only when a Bitcoin attestation verified and nothing failed."""
        return self.status == "verified"

    @property
    def best(self) -> AttestationResult | None:
        """The earliest verified Bitcoin attestation (the strongest claim on time)."""
        done = [a for a in self.attestations if a.status == "verified"]
        return min(done, key=lambda a: (a.time or 0, a.height or 0)) if done else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form per the CLI contract: `{"verified", "attestations": [...], ...}`."""
        out: dict[str, Any] = {"verified": self.verified, "status": self.status}
        best = self.best
        if best is not None and self.verified:
            out.update(height=best.height, time=best.time, time_iso=best.time_iso)
        if self.hash_op is not None:
            out["hash_op"] = self.hash_op
        if self.file_digest is not None:
            out["file_digest"] = self.file_digest.hex()
        out["attestations"] = [a.to_dict() for a in self.attestations]
        if self.reason is not None:
            out["reason"] = self.reason
        if self.error is not None:
            out["error"] = type(self.error).__name__
        return out


def verify_ots(ots: bytes | OtsProof, headers: HeaderSource | None, *, data: bytes | None = None,
               digest: bytes | None = None) -> OtsResult:
    """Verify a proof; with `data` or `digest` it must also be a proof *of that* file (or Merkle root).

    Never raises for bad evidence: parse errors, digest mismatches and bad headers all come back as
    a failed result whose `error` holds the typed exception.
    """
    if isinstance(ots, OtsProof):
        proof = ots
    else:
        try:
            proof = parse_ots(ots)
        except OtsParseError as exc:
            return OtsResult("failed", reason=f"invalid proof: {exc}", error=exc)
    results = [_verify_attestation(msg, att, headers) for msg, att in proof.attestations()]
    result = OtsResult("failed", hash_op=proof.hash_op.name, file_digest=proof.file_digest, attestations=results)
    if data is not None:
        digest = hash_file_bytes(proof.hash_op, data)
    if digest is not None and digest != proof.file_digest:
        result.error = DigestMismatchError(
            f"file {proof.hash_op.name} digest {digest.hex()} does not match the proof's {proof.file_digest.hex()}")
        result.reason = str(result.error)
        return result
    _summarise(result)
    return result


def verify_ots_file(path: str | Path, ots: bytes, headers: HeaderSource | None) -> OtsResult:
    """Verify `ots` as the proof of the file at `path` (hashed in chunks, so any size works)."""
    try:
        proof = parse_ots(ots)
    except OtsParseError as exc:
        return OtsResult("failed", reason=f"invalid proof: {exc}", error=exc)
    return verify_ots(proof, headers, digest=hash_path(path, proof.hash_op))


def hash_path(path: str | Path, op: Op) -> bytes:
    """The digest of a file under a proof's hash op, read in 1 MiB chunks."""
    if op.name == "keccak256":
        return hash_file_bytes(op, Path(path).read_bytes())
    hasher = hashlib.new(op.name)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return hasher.digest()


def _summarise(result: OtsResult) -> None:
    statuses = [a.status for a in result.attestations]
    failed = [a for a in result.attestations if a.status == "failed"]
    if failed:
        result.status, result.reason, result.error = "failed", failed[0].reason, failed[0].error
    elif "verified" in statuses:
        result.status = "verified"
    elif "missing-header" in statuses:
        reasons = dict.fromkeys(a.reason for a in result.attestations if a.status == "missing-header")
        result.status = "missing-header"
        result.reason = "; ".join(r for r in reasons if r) + " (give headers that include it)"
    elif "pending" in statuses:
        calendars = sorted({a.calendar for a in result.attestations if a.calendar})
        result.status = "pending"
        result.reason = "only pending calendar attestations (" + ", ".join(calendars) + \
            "): not yet in Bitcoin; upgrade the proof later"
    else:
        result.status = "unverifiable"
        result.reason = "no Bitcoin or pending attestation (only notaries this verifier does not know)"


def _verify_attestation(commitment: bytes, att: Attestation, headers: HeaderSource | None) -> AttestationResult:
    if att.kind == "pending":
        return AttestationResult("pending", "pending", commitment, calendar=att.uri)
    if att.kind != "bitcoin":
        return AttestationResult(att.kind, "unknown", commitment, height=att.height, tag=att.tag.hex())
    out = AttestationResult("bitcoin", "failed", commitment, height=att.height)
    if len(commitment) != 32:
        out.error = AttestationMismatchError(
            f"block {att.height}: commitment is {len(commitment)} bytes; a merkle root is 32")
        out.reason = str(out.error)
        return out
    if headers is None:
        out.status, out.reason = "missing-header", f"no block headers given for height {att.height}"
        out.error = MissingHeaderError(out.reason, height=att.height or 0)
        return out
    try:
        header = headers.header(att.height or 0)
    except MissingHeaderError as exc:
        out.status, out.reason, out.error = "missing-header", str(exc), exc
        return out
    except BadHeaderError as exc:
        out.reason, out.error = f"untrusted header: {exc}", exc
        return out
    except HeaderError as exc:  # the header source itself failed (e.g. bitcoind unreachable)
        out.status, out.reason, out.error = "missing-header", str(exc), exc
        return out
    if header.merkle_root != commitment:
        out.error = AttestationMismatchError(
            f"block {att.height}: the proof commits to merkle root {commitment[::-1].hex()}, "
            f"but the block's merkle root is {header.merkle_root[::-1].hex()}")
        out.reason = str(out.error)
        return out
    out.status, out.time, out.time_iso, out.block_hash = "verified", header.time, header.time_iso, header.block_hash
    return out
