"""Checks of the `evidence` group; a failing check lists the offending rows in its metadata.

- `chain_verifies` (evidence_batches): no site's new bundles failed the walk (signature, content hash,
  link, missing seq); such a segment is not batched, and stays listed here until repaired.
- `batch_roots_match` (evidence_batches): every recent batch's root recomputes from its leaves, and
  every batched bundle's chain hash is the leaf its batch recorded for it.
- `proofs_stamp_roots` (evidence_stamps): every stored `.ots` proof parses and stamps its batch's root.
"""

import asyncio

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from contracts.evidence import merkle_root
from pipelines.evidence.assets import evidence_batches, evidence_stamps
from pipelines.resources import PostgresResource
from warehouse.evidence.errors import OtsParseError
from warehouse.evidence.ots import parse_ots
from warehouse.pg import connect
from warehouse.sql_files import sql

MAX_LISTED = 50
RECENT_BATCHES = 1000


def _fetch(dsn: str, name: str, *args) -> list[dict]:
    async def _go():
        conn = await connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(sql(name), *args)]
        finally:
            await conn.close()

    return asyncio.run(_go())


def _result(offending: list[dict], **meta) -> AssetCheckResult:
    return AssetCheckResult(passed=not offending, severity=AssetCheckSeverity.ERROR, metadata={
        **meta, "offending_rows": MetadataValue.json(offending[:MAX_LISTED])})


@asset_check(asset=evidence_batches, name="chain_verifies",
             description="No site's new evidence failed verification on the last walk (a bundle altered or missing, "
                         "a broken link, a bad signature); such bundles are held back from anchoring.")
def chain_verifies(postgres: PostgresResource) -> AssetCheckResult:
    """List the sites whose last walk found breaks."""
    rows = _fetch(postgres.dsn(), "evidence/check_breaks")
    offending = [{"site_id": r["site_id"], "breaks": r["breaks"], "checked_up_to": r["checked_up_to"],
                  "first_break": r["first_break"]} for r in rows]
    return _result(offending, sites_with_breaks=len(offending))


@asset_check(asset=evidence_batches, name="batch_roots_match",
             description="Each recent batch's Merkle root recomputes from its leaves, and every batched bundle's "
                         "chain hash is the leaf its batch recorded.")
def batch_roots_match(postgres: PostgresResource) -> AssetCheckResult:
    """Recompute roots; compare leaves with the bundles' chain hashes."""
    batches = _fetch(postgres.dsn(), "evidence/check_batches", RECENT_BATCHES)
    offending = []
    for b in batches:
        leaves = list(b["leaves"])
        if len(leaves) != b["leaf_count"] or merkle_root([bytes.fromhex(x) for x in leaves]).hex() != b["root"]:
            offending.append({"batch_id": b["batch_id"], "site_id": b["site_id"],
                              "problem": "the root does not recompute from the leaves"})
    for r in _fetch(postgres.dsn(), "evidence/check_leaves"):
        offending.append({"batch_id": r["batch_id"], "bundle_id": r["bundle_id"], "seq": r["chain_seq"],
                          "problem": "the bundle's chain hash is not the leaf its batch recorded"})
    return _result(offending, batches_checked=len(batches))


@asset_check(asset=evidence_stamps, name="proofs_stamp_roots",
             description="Every stored OpenTimestamps proof parses and timestamps its batch's Merkle root.")
def proofs_stamp_roots(postgres: PostgresResource) -> AssetCheckResult:
    """Parse each recent proof and compare its file digest with the batch root."""
    batches = [b for b in _fetch(postgres.dsn(), "evidence/check_batches", RECENT_BATCHES) if b["ots"] is not None]
    offending = []
    for b in batches:
        try:
            digest = parse_ots(bytes(b["ots"])).file_digest.hex()
        except OtsParseError as exc:
            offending.append({"batch_id": b["batch_id"], "problem": f"proof does not parse: {exc}"})
            continue
        if digest != b["root"]:
            offending.append({"batch_id": b["batch_id"], "problem": f"proof stamps {digest[:16]}…, not the root"})
    return _result(offending, proofs_checked=len(batches))


CHECKS = [chain_verifies, batch_roots_match, proofs_stamp_roots]
