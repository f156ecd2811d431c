"""The per-site daily LLM budget: summed from recorded costs, per site, from the site's local midnight."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from serving.l2.planner import Planner, spent_today
from tests.serving.l2 import fake_anthropic as fa
from tests.serving.l2.conftest import firewall_incident, llm_settings, make_appliance, request_for


async def _spend(pool, appliance, usd: float, at: datetime | None = None) -> None:
    decision_id = str(uuid.uuid4())
    await pool.execute(
        "INSERT INTO l2_decisions (event_id, decision_id, incident_id, site_id, confidence, requires_human_review,"
        " pattern_signature, provider, cost_usd, decided_at, payload, origin)"
        " VALUES ($1, $1, $1, $2, 0.9, false, 'sig', 'anthropic', $3, $4, $5, 'central')",
        decision_id, appliance.site_id, usd, at or datetime.now(UTC), json.dumps({}),
    )


async def test_spent_today_counts_only_this_site_today(pool, appliance):
    other = await make_appliance(pool, name="Elm Street Dental")
    await _spend(pool, appliance, 0.25)
    await _spend(pool, appliance, 0.5)
    await _spend(pool, appliance, 9.0, at=datetime.now(UTC) - timedelta(days=2))
    await _spend(pool, other, 7.0)
    assert await spent_today(pool, appliance.site_id) == pytest.approx(0.75)


async def test_spent_today_day_starts_at_site_local_midnight(pool):
    # Whatever the hour, 30 hours ago is before the local midnight of a site at UTC+14.
    site = await make_appliance(pool, name="Auckland Clinic", timezone="Pacific/Kiritimati")  # UTC+14
    await _spend(pool, site, 1.0, at=datetime.now(UTC) - timedelta(hours=30))  # before its local midnight
    await _spend(pool, site, 0.1)
    assert await spent_today(pool, site.site_id) == pytest.approx(0.1)


async def test_plan_over_budget_uses_learned_planner_and_no_llm_call(pool, appliance, catalog):
    await _spend(pool, appliance, 1.5)
    with fa.serve([fa.tool("RB-WIN-FIREWALL-001", 0.9)]) as server:
        planner = Planner(llm_settings(server.base_url, l2_daily_budget_usd=1.0), catalog=catalog)
        decision = await planner.plan(pool, appliance, request_for(firewall_incident(appliance.site_id), catalog))
        await planner.close()
    assert server.requests == []
    assert decision.guardrails["chain"][0]["outcome"] == "over_budget"
    assert decision.cost_usd == 0.0
    row = await pool.fetchrow("SELECT fallback_reason FROM l2_decisions WHERE decision_id = $1", decision.decision_id)
    assert row["fallback_reason"].startswith("over_budget")


async def test_plan_budget_reached_by_recorded_llm_costs(pool, appliance, catalog):
    # Each answer costs 0.0032 USD; with a 0.005 budget the second call is still allowed, the third is not.
    with fa.serve([fa.tool("RB-WIN-FIREWALL-001", 0.9)]) as server:
        planner = Planner(llm_settings(server.base_url, l2_daily_budget_usd=0.005), catalog=catalog)
        providers = []
        for _ in range(3):
            d = await planner.plan(pool, appliance, request_for(firewall_incident(appliance.site_id), catalog))
            providers.append(d.provider)
        await planner.close()
    assert providers == ["anthropic", "anthropic", "human_review"]
    assert len(server.requests) == 2
