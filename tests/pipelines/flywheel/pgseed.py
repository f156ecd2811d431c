"""Central Command rows for flywheel tests: incidents with their L2 decision and verified outcome,
shadow matches and L1 outcomes, written into the real Postgres tables with the contract models' JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from contracts.incidents import HealingOutcome, Incident, L2Decision
from contracts.telemetry import ShadowMatch

START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def site_ids(count: int) -> list[str]:
    """Stable site UUIDs."""
    return [str(uuid.UUID(int=i + 1, version=4)) for i in range(count)]


async def add_sites(conn: asyncpg.Connection, sites: list[str]) -> None:
    """Insert the sites (idempotent)."""
    await conn.executemany("INSERT INTO sites (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                           [(uuid.UUID(s), f"Clinic {i}") for i, s in enumerate(sites)])


def _dump(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json"))


async def add_incident(conn: asyncpg.Connection, site: str, check_type: str, platform: str,
                       details: dict[str, Any], at: datetime) -> Incident:
    """One incident row."""
    inc = Incident(site_id=site, host=f"ws-{uuid.uuid4().hex[:6]}", check_type=check_type, platform=platform,
                   severity="high", details=details, observed_at=at)
    await conn.execute(
        "INSERT INTO incidents (event_id, incident_id, site_id, host, check_type, platform, severity, "
        "pattern_signature, observed_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)",
        inc.incident_id, inc.incident_id, uuid.UUID(site), inc.host, check_type, platform, "high",
        inc.pattern_signature, at, _dump(inc))
    return inc


async def add_outcome(conn: asyncpg.Connection, inc: Incident, tier: str, runbook: str | None, healed: bool,
                      at: datetime, *, rule_id: str | None = None, decision_id: str | None = None) -> None:
    """One verified healing outcome."""
    out = HealingOutcome(incident_id=inc.incident_id, site_id=inc.site_id, host=inc.host, tier=tier,
                         status="healed" if healed else "failed", runbook_id=runbook, rule_id=rule_id,
                         decision_id=decision_id, pattern_signature=inc.pattern_signature, finished_at=at)
    await conn.execute(
        "INSERT INTO healing_outcomes (event_id, incident_id, site_id, host, tier, status, runbook_id, rule_id, "
        "decision_id, pattern_signature, finished_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12::jsonb)",
        out.event_id, inc.incident_id, uuid.UUID(inc.site_id), inc.host, tier, out.status.value, runbook, rule_id,
        decision_id, inc.pattern_signature, at, _dump(out))


async def add_l2(conn: asyncpg.Connection, site: str, check_type: str, platform: str, details: dict[str, Any],
                 runbook: str, healed: bool, at: datetime) -> Incident:
    """An incident L2 decided (runbook, confidence 0.9) and its verified outcome."""
    inc = await add_incident(conn, site, check_type, platform, details, at)
    dec = L2Decision(incident_id=inc.incident_id, site_id=site, runbook_id=runbook, confidence=0.9,
                     pattern_signature=inc.pattern_signature, provider="anthropic", cost_usd=0.0011,
                     latency_ms=2400.0, decided_at=at + timedelta(seconds=3))
    await conn.execute(
        "INSERT INTO l2_decisions (event_id, decision_id, incident_id, site_id, runbook_id, confidence, "
        "requires_human_review, pattern_signature, provider, cost_usd, latency_ms, decided_at, payload) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)",
        dec.decision_id, dec.decision_id, inc.incident_id, uuid.UUID(site), runbook, 0.9, False,
        inc.pattern_signature, "anthropic", 0.0011, 2400.0, dec.decided_at, _dump(dec))
    await add_outcome(conn, inc, "L2", runbook, healed, at + timedelta(seconds=30), decision_id=dec.decision_id)
    return inc


async def add_shadow_match(conn: asyncpg.Connection, inc: Incident, rule_id: str, runbook: str) -> None:
    """What a shadow rule would have done for an incident."""
    match = ShadowMatch(site_id=inc.site_id, incident_id=inc.incident_id, rule_id=rule_id, runbook_id=runbook,
                        pattern_signature=inc.pattern_signature, matched_at=inc.observed_at)
    await conn.execute(
        "INSERT INTO shadow_matches (event_id, site_id, incident_id, rule_id, runbook_id, pattern_signature, "
        "matched_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
        match.event_id, uuid.UUID(inc.site_id), inc.incident_id, rule_id, runbook, inc.pattern_signature,
        inc.observed_at, _dump(match))


async def add_l1(conn: asyncpg.Connection, site: str, check_type: str, platform: str, details: dict[str, Any],
                 rule_id: str, runbook: str, healed: bool, at: datetime) -> Incident:
    """An incident an L1 rule handled, and its verified outcome."""
    inc = await add_incident(conn, site, check_type, platform, details, at)
    await add_outcome(conn, inc, "L1", runbook, healed, at + timedelta(seconds=5), rule_id=rule_id)
    return inc
