"""`POST /api/agent/l2/plan`: an appliance asks the L2 planner what to run for an incident no rule covers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from contracts.api import L2PlanRequest
from contracts.incidents import L2Decision
from serving.deps import CurrentAppliance, PoolDep
from serving.l2.planner import Planner


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        planner = getattr(app.state, "l2_planner", None)
        if planner is not None:
            await planner.close()


router = APIRouter(tags=["agent"], lifespan=_lifespan)


def _planner(request: Request) -> Planner:
    # One planner per app, made on first use (tests may put their own on app.state before that).
    planner = getattr(request.app.state, "l2_planner", None)
    if planner is None:
        planner = request.app.state.l2_planner = Planner()
    return planner


PlannerDep = Annotated[Planner, Depends(_planner)]


@router.post("/api/agent/l2/plan")
async def plan(body: L2PlanRequest, appliance: CurrentAppliance, pool: PoolDep, planner: PlannerDep) -> L2Decision:
    """Choose a runbook for a PHI-scrubbed incident (Anthropic, then the learned planner, then a human).

    The answer is an L2Decision; the params to run with are in `guardrails.params`. 400 when the
    incident still holds PHI, 403 for another site's incident.
    """
    return await planner.plan(pool, appliance, body)
