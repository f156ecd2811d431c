"""`POST /api/appliances/checkin`."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.api import CheckinRequest, CheckinResponse
from serving.deps import CurrentAppliance, MetricsDep, PoolDep
from serving.services import checkin as checkin_service

router = APIRouter(tags=["agent"])


@router.post("/api/appliances/checkin")
async def checkin(
    body: CheckinRequest, appliance: CurrentAppliance, pool: PoolDep, metrics: MetricsDep
) -> CheckinResponse:
    """Server time, the current bundle's version and digest, pending signed orders (now delivered), sealed targets."""
    answer = await checkin_service.checkin(pool, appliance, body)
    metrics.checkins.inc()
    metrics.orders_delivered.inc(len(answer.orders))
    return answer
