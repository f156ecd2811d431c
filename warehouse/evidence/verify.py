"""Offline verification: a single file's `.ots` proof, or an auditor's whole export package.

A bundle in a package is verified when its appliance signature holds, the site chain holds through it,
its Merkle path leads to its batch root, and the batch's proof verifies that root down to a Bitcoin
block's merkle root. Anything less is reported per bundle: what failed, or why it is not yet anchored
(`unanchored`, `pending`, `missing-header`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import VerifyKey
from pydantic import ValidationError

from contracts.errors import EvidenceError, MerklePathError
from contracts.evidence import ChainedEvidence, verify_chain, verify_merkle_path, verify_signed
from warehouse.evidence.attest import AttestationResult, OtsResult, hash_path, verify_ots, verify_ots_file
from warehouse.evidence.errors import PackageError
from warehouse.evidence.headers import HeaderSource
from warehouse.evidence.package import (
    ManifestBatch,
    PathFile,
    load_keys,
    read_bytes,
    read_json,
    read_manifest,
)

__all__ = [
    "AttestationResult",
    "BundleResult",
    "OtsResult",
    "PackageResult",
    "hash_path",
    "verify_ots",
    "verify_ots_file",
    "verify_package",
]


@dataclass
class BundleResult:
    """The verdict on one bundle of a package: verified with block height and time, or what failed."""

    bundle_id: str
    seq: int
    status: str = "failed"
    batch_id: str | None = None
    height: int | None = None
    time: int | None = None
    time_iso: str | None = None
    detail: str | None = None
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, unset fields left out."""
        return {k: v for k, v in self.__dict__.items() if v is not None and v != []}


@dataclass
class PackageResult:
    """The verdict on a package: every bundle, plus problems not tied to one bundle."""

    site_id: str | None
    bundles: list[BundleResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """True only when every bundle verified down to a Bitcoin block and nothing else failed."""
        return not self.failures and bool(self.bundles) and all(b.status == "verified" for b in self.bundles)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `{"verified", "site_id", "counts", "bundles": [...], "failures": [...]}`."""
        counts: dict[str, int] = {}
        for bundle in self.bundles:
            counts[bundle.status] = counts.get(bundle.status, 0) + 1
        return {"verified": self.verified, "site_id": self.site_id, "counts": counts,
                "bundles": [b.to_dict() for b in self.bundles], "failures": self.failures}


def verify_package(pkg_dir: str | Path, headers: HeaderSource | None, *,
                   trusted_keys: Mapping[str, tuple[str, VerifyKey]] | None = None) -> PackageResult:
    """Check a package offline: signatures, the chain, every Merkle path and every batch proof.

    `trusted_keys` ({key id: (appliance id, key)}) replaces the keys shipped in the package, for an
    auditor who got the appliance keys by another route. Never raises for bad evidence.
    """
    pkg = Path(pkg_dir)
    try:
        manifest = read_manifest(pkg)
    except PackageError as exc:
        return PackageResult(None, failures=[str(exc)])
    result = PackageResult(manifest.site_id)
    keyring, problems = load_keys(pkg, manifest)
    result.failures += problems
    if trusted_keys is not None:
        keyring = dict(trusted_keys)
    batches = {b.batch_id: b for b in manifest.batches}
    proofs: dict[str, OtsResult] = {}
    loaded: list[ChainedEvidence] = []
    by_id: dict[str, BundleResult] = {}
    for row in manifest.bundles:
        verdict = BundleResult(row.bundle_id, row.seq, batch_id=row.batch_id)
        result.bundles.append(verdict)
        by_id[row.bundle_id] = verdict
        try:
            entry = ChainedEvidence.model_validate(read_json(pkg, row.file))
        except PackageError as exc:
            verdict.failures.append(str(exc))
            continue
        except ValidationError as exc:
            verdict.failures.append(f"{row.file} is not a chained evidence bundle: {exc.errors()[0]['msg']}")
            continue
        if (entry.bundle_id, entry.seq) != (row.bundle_id, row.seq):
            verdict.failures.append(f"{row.file} holds bundle {entry.bundle_id} seq {entry.seq}, not as listed")
        loaded.append(entry)
        _check_signature(entry, keyring, verdict)
        _check_anchor(pkg, entry, row.path_file, batches.get(row.batch_id or ""), headers, proofs, verdict)
    loaded.sort(key=lambda e: e.seq)
    for brk in verify_chain(loaded, expected_prev_hash=manifest.prev_hash):
        # a file may hold a bundle the manifest does not list; its break then belongs to the package
        target = by_id[brk.bundle_id].failures if brk.bundle_id in by_id else result.failures
        target.append(f"chain: {brk.detail}")
    if loaded and manifest.head_hash is not None and loaded[-1].hash != manifest.head_hash:
        result.failures.append(f"chain ends at bundle {loaded[-1].bundle_id}, not at the manifest's head hash "
                               f"{manifest.head_hash[:16]}…: bundles are missing from the end")
    for verdict in result.bundles:
        if verdict.failures:
            verdict.status = "failed"
    return result


def _check_signature(entry: ChainedEvidence, keyring: Mapping[str, tuple[str, VerifyKey]],
                     verdict: BundleResult) -> None:
    signed = entry.signed
    if signed.key_id not in keyring:
        verdict.failures.append(f"signature: signed by key {signed.key_id}, which the package does not vouch for")
        return
    appliance_id, key = keyring[signed.key_id]
    if appliance_id != signed.bundle.appliance_id:
        verdict.failures.append(f"signature: key {signed.key_id} belongs to appliance {appliance_id}, "
                                f"not {signed.bundle.appliance_id}")
    try:
        verify_signed(signed, key)
    except EvidenceError as exc:
        verdict.failures.append(f"signature: {exc}")


def _check_anchor(pkg: Path, entry: ChainedEvidence, path_file: str | None, batch: ManifestBatch | None,
                  headers: HeaderSource | None, proofs: dict[str, OtsResult], verdict: BundleResult) -> None:
    if path_file is None or batch is None:
        verdict.status = "unanchored"  # chained and signed, but not yet in a stamped batch
        return
    try:
        doc = PathFile.model_validate(read_json(pkg, path_file))
        root = bytes.fromhex(batch.root)
        if doc.leaf != entry.hash or doc.batch_id != batch.batch_id:
            raise MerklePathError(f"{path_file} is the path of another leaf or batch")
        verify_merkle_path(bytes.fromhex(entry.hash), doc.path, root)
    except (PackageError, EvidenceError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        verdict.failures.append(f"merkle: {exc}".splitlines()[0])
        return
    if batch.ots_file is None:
        verdict.status = "unanchored"
        return
    if batch.batch_id not in proofs:
        try:
            proofs[batch.batch_id] = verify_ots(read_bytes(pkg, batch.ots_file), headers, digest=root)
        except PackageError as exc:
            proofs[batch.batch_id] = OtsResult("failed", reason=str(exc), error=exc)
    proof = proofs[batch.batch_id]
    if proof.status == "failed":
        verdict.failures.append(f"timestamp: {proof.reason}")
        return
    verdict.status = proof.status
    best = proof.best
    if proof.verified and best is not None:
        verdict.height, verdict.time, verdict.time_iso = best.height, best.time, best.time_iso
    else:
        verdict.detail = proof.reason
