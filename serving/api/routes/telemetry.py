"""`POST /api/agent/telemetry`: batches of up to 10,000 typed events, idempotent by event id."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.telemetry import TelemetryAck, TelemetryBatch
from serving.deps import CurrentAppliance, MetricsDep, PoolDep, SettingsDep
from serving.services import telemetry

router = APIRouter(tags=["agent"])


@router.post("/api/agent/telemetry")
async def ingest(
    batch: TelemetryBatch, appliance: CurrentAppliance, pool: PoolDep, settings: SettingsDep, metrics: MetricsDep
) -> TelemetryAck:
    """Store the batch in one transaction; answers how many events were new and how many were seen before."""
    ack = await telemetry.ingest(pool, appliance, batch.events, mode=settings.telemetry_ingest)
    metrics.telemetry_events.labels("accepted").inc(ack.accepted)
    metrics.telemetry_events.labels("duplicate").inc(ack.duplicates)
    return ack
