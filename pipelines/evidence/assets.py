"""The `evidence` group: Merkle batches of each site's chained bundles, their OpenTimestamps stamps,
and the upgrades of pending stamps to Bitcoin attestations.

evidence_batches -> evidence_stamps -> evidence_upgrades. State lives in Postgres (`evidence_batches`,
`evidence_chain_heads`); each asset republishes the evidence marts (`evidence_batches`,
`evidence_chain_status` also as `evidence_chain`, `evidence_bundles`) so the reports follow every step.
"""

# No `from __future__ import annotations`: Dagster reads the config and resource annotations.
import asyncio

from dagster import Config, MaterializeResult, MetadataValue, asset

from pipelines.evidence import anchoring, marts, store
from pipelines.evidence.resources import OtsCalendars
from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.pg import connect

GROUP = "evidence"


class BatchConfig(Config):
    """How new bundles are cut into Merkle batches."""

    max_leaves: int = 4096
    max_per_site: int = 100_000


class AnchorConfig(Config):
    """How many batches one run stamps or upgrades."""

    max_batches: int = 500


def _run(dsn: str, work, *args):
    async def _go():
        conn = await connect(dsn)
        try:
            return await work(conn, *args)
        finally:
            await conn.close()

    return asyncio.run(_go())


async def _locked(conn, work, *args):
    # Calendars must never be asked twice for one batch by two overlapping runs.
    if not await store.try_lock(conn, store.STAMP_LOCK):
        return None
    try:
        return await work(conn, *args)
    finally:
        await store.unlock(conn, store.STAMP_LOCK)


def _publish(postgres: PostgresResource, warehouse: WarehouseResource, *, bundles: bool) -> dict:
    after = marts.bundle_cursor(warehouse) if bundles else None
    return marts.publish(warehouse, _run(postgres.dsn(), marts.read, after))


@asset(group_name=GROUP, kinds={"postgres", "duckdb", "parquet"},
       description="Merkle batches of each site's chained evidence bundles not yet batched: leaves are the "
                   "chain hashes in seq order, leaf and node hashes domain-separated, an odd node promoted. Only "
                   "the part of the chain that verifies (signatures, content hashes, links, no missing seq) is "
                   "batched. Postgres `evidence_batches`; publishes the evidence marts.")
def evidence_batches(config: BatchConfig, postgres: PostgresResource, warehouse: WarehouseResource) -> MaterializeResult:
    """Walk and batch every site's new bundles."""
    sites = _run(postgres.dsn(), store.batch_new_bundles, config.max_leaves, config.max_per_site)
    counts = _publish(postgres, warehouse, bundles=True)
    broken = {s.site_id: s.breaks[0] for s in sites if s.breaks}
    return MaterializeResult(metadata={
        "sites": len(sites), "bundles_batched": sum(s.batched for s in sites),
        "batches_created": sum(len(s.batches) for s in sites), "bundles_walked": sum(s.walked for s in sites),
        "sites_with_breaks": len(broken),
        "breaks": MetadataValue.json(broken) if broken else "none",
        **{f"rows_{k}": v for k, v in counts.items()},
    })


@asset(group_name=GROUP, kinds={"postgres", "opentimestamps"}, deps=[evidence_batches],
       description="Each unstamped batch root stamped through the configured OpenTimestamps calendars (the "
                   "`opentimestamps` library builds the proof; pending attestations until Bitcoin confirms). A "
                   "calendar that does not answer is recorded and retried on the next run; the asset succeeds. "
                   "With no calendar configured stamping is off, and the metadata says so.")
def evidence_stamps(config: AnchorConfig, calendars: OtsCalendars, postgres: PostgresResource,
                    warehouse: WarehouseResource) -> MaterializeResult:
    """Stamp unstamped batch roots."""
    meta: dict = {"calendars": calendars.describe()}
    if calendars.enabled:
        run = _run(postgres.dsn(), _locked, anchoring.stamp_batches, calendars, config.max_batches)
        meta.update(_anchor_meta(run))
    else:
        meta["stamped"] = 0
    _publish(postgres, warehouse, bundles=False)
    return MaterializeResult(metadata=meta)


@asset(group_name=GROUP, kinds={"postgres", "opentimestamps"}, deps=[evidence_stamps],
       description="Pending stamps upgraded to Bitcoin block-header attestations when the calendars have them; "
                   "a confirmed proof is checked against the block header when a header source is configured "
                   "(its block time recorded) and announced on the evidence stream. Scheduled hourly.")
def evidence_upgrades(config: AnchorConfig, calendars: OtsCalendars, postgres: PostgresResource,
                      warehouse: WarehouseResource) -> MaterializeResult:
    """Upgrade pending proofs."""
    meta: dict = {"calendars": calendars.describe()}
    if calendars.enabled:
        run = _run(postgres.dsn(), _locked, anchoring.upgrade_batches, calendars, config.max_batches)
        meta.update(_anchor_meta(run))
    else:
        meta["confirmed"] = 0
    _publish(postgres, warehouse, bundles=False)
    return MaterializeResult(metadata=meta)


def _anchor_meta(run) -> dict:
    if run is None:
        return {"skipped": "another run is talking to the calendars"}
    meta = {k: v for k, v in run.__dict__.items() if k not in ("errors", "heights")}
    meta["errors"] = MetadataValue.json(run.errors[:20]) if run.errors else "none"
    if run.heights:
        meta["block_heights"] = MetadataValue.json(sorted(set(run.heights)))
    return meta


ASSETS = [evidence_batches, evidence_stamps, evidence_upgrades]
