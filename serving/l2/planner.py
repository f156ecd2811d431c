"""`POST /api/agent/l2/plan` behind HTTP: PHI gate, provider chain, guardrails, budget, and the record.

The chain is Anthropic → the learned planner → human review. Anthropic is skipped with no API key
or when the site has spent its daily budget; any failure of one planner (its `reason`) is recorded
and the next one asked. Whatever answered, the guardrails decide what may run, and the decision is
stored with everything the flywheel and the cost reports need.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg

from contracts.api import L2PlanRequest
from contracts.incidents import Incident, L2Decision, signature_facts
from contracts.phi import Scrubber, category_of, contains_phi
from contracts.runbooks import Runbook, RunbookCatalog
from serving.errors import BadRequest, Forbidden
from serving.l2 import guardrails
from serving.l2.anthropic_planner import PROVIDER as ANTHROPIC
from serving.l2.anthropic_planner import AnthropicPlanner
from serving.l2.catalog import load_runbooks
from serving.l2.errors import NoApiKey, OverBudget, PlannerUnavailable, Usage
from serving.l2.guardrails import Answer
from serving.l2.learned import PROVIDER as LEARNED
from serving.l2.learned import LearnedPlanner
from serving.l2.settings import L2Settings
from serving.services.auth import ApplianceIdentity
from warehouse.sql_files import sql

HUMAN = "human_review"
MAX_REASONING = 2000


class PhiRefused(BadRequest):
    """The incident still holds PHI after the appliance's scrub (HTTP 400 naming categories, never values)."""


def _changed(before: Any, after: Any, path: str) -> Iterator[str]:
    """Paths where scrubbing changed a value (or would have: PHI in a dict key)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in before.items():
            if isinstance(key, str) and contains_phi(key):
                yield f"{path}.<key>"
            yield from _changed(value, after.get(key), f"{path}.{key}")
    elif isinstance(before, list | tuple) and isinstance(after, list | tuple):
        for i, (b, a) in enumerate(zip(before, after, strict=False)):
            yield from _changed(b, a, f"{path}[{i}]")
    elif before != after:
        yield path


def refuse_phi(incident: Incident) -> None:
    """Scrub the incident's free text again, as the appliance did; PhiRefused when anything changes.

    The appliance's scrub is a fixed point (placeholders are not PHI), so a properly scrubbed
    incident passes unchanged; any change means PHI slipped through. The refusal names fields and
    categories, never the values.
    """
    scrubber = Scrubber()
    fields = {"host": incident.host, "details": incident.details, "hipaa_controls": incident.hipaa_controls}
    paths = sorted(set(_changed(fields, scrubber.scrub_obj(fields), "incident")))
    if paths:
        categories = sorted({category_of(ph) or "phi" for ph in scrubber.mapping}) or ["phi"]
        where = ", ".join(paths[:10])
        raise PhiRefused(f"the incident still holds PHI ({', '.join(categories)} in {where}); "
                         "scrub it on the appliance and retry")


def candidates(catalog: RunbookCatalog, request: L2PlanRequest) -> list[Runbook]:
    """The runbooks the model may choose from: in the catalog, for the platform, offered by the appliance."""
    offered = set(request.runbooks)
    return [rb for rb in catalog.for_platform(request.platform) if not offered or rb.id in offered]


async def spent_today(pool: asyncpg.Pool, site_id: uuid.UUID) -> float:
    """What a site spent on the LLM since its local midnight, in USD."""
    return float(await pool.fetchval(sql("l2/spent_today"), site_id) or 0.0)


class Planner:
    """The L2 planner of one server process: settings, the Anthropic client, the learned model."""

    def __init__(self, settings: L2Settings | None = None, *, catalog: RunbookCatalog | None = None):
        self.settings = settings or L2Settings()
        self.llm = AnthropicPlanner(self.settings)
        self.learned = LearnedPlanner(self.settings.learned_min_leaf)
        self._catalog = catalog

    def catalog(self) -> RunbookCatalog:
        """The runbook catalog the guardrails judge by."""
        return self._catalog or load_runbooks(self.settings.runbooks_dir)

    async def close(self) -> None:
        """Release the provider's connections."""
        await self.llm.close()

    async def _ask_llm(self, pool: asyncpg.Pool, site_id: uuid.UUID, incident: Incident,
                       platform: str, cands: list[Runbook]) -> tuple[Answer, Usage]:
        if not self.llm.configured:
            raise NoApiKey("no ANTHROPIC_API_KEY is configured")
        budget = self.settings.l2_daily_budget_usd
        spent = await spent_today(pool, site_id)
        if spent >= budget:
            raise OverBudget(f"site spent {spent:.4f} of its {budget:.2f} USD today")
        return await self.llm.plan(incident, platform, cands)

    async def plan(self, pool: asyncpg.Pool, appliance: ApplianceIdentity, request: L2PlanRequest) -> L2Decision:
        """Decide for one incident and record the decision; PHI and other sites' incidents are refused."""
        started = time.perf_counter()
        incident = request.incident
        if str(incident.site_id) != str(appliance.site_id):
            raise Forbidden(f"incident names site {incident.site_id[:64]!r}; this appliance plans for "
                            f"site {appliance.site_id} only")
        refuse_phi(incident)
        catalog = self.catalog()
        cands = candidates(catalog, request)
        chain: list[dict[str, Any]] = []
        answer: Answer | None = None
        usage: Usage | None = None
        provider = HUMAN
        try:
            answer, usage = await self._ask_llm(pool, appliance.site_id, incident, request.platform, cands)
            provider = ANTHROPIC
            chain.append({"provider": ANTHROPIC, "outcome": "answered"})
        except PlannerUnavailable as exc:
            usage = exc.usage
            chain.append({"provider": ANTHROPIC, "outcome": exc.reason, "detail": exc.message[:300]})
        if answer is None:
            try:
                answer = await self.learned.plan(pool, incident)
                provider = LEARNED
                chain.append({"provider": LEARNED, "outcome": "answered"})
            except PlannerUnavailable as exc:
                chain.append({"provider": LEARNED, "outcome": exc.reason, "detail": exc.message[:300]})
        if answer is None:
            answer = Answer(runbook_id=None, confidence=0.0,
                            reasoning="no planner could answer; a human decides (" +
                            ", ".join(c["outcome"] for c in chain) + ")")
        guarded = guardrails.apply(catalog, answer, incident=incident, platform=request.platform,
                                   offered=set(request.runbooks))
        fallback = ",".join(c["outcome"] for c in chain if c["outcome"] != "answered") or None
        decision = L2Decision(
            incident_id=incident.incident_id,
            site_id=str(appliance.site_id),
            runbook_id=guarded.runbook_id,
            reasoning=answer.reasoning[:MAX_REASONING],
            confidence=answer.confidence,
            requires_human_review=guarded.requires_human_review,
            pattern_signature=incident.pattern_signature,
            provider=provider,
            model=usage.model if usage else ("decision-tree" if provider == LEARNED else None),
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            cost_usd=round(usage.cost_usd, 8) if usage else 0.0,
            guardrails={**guarded.record(), "chain": chain, "fallback_reason": fallback},
        )
        decision.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        await record(pool, decision, appliance, incident, fallback)
        return decision


async def record(pool: asyncpg.Pool, decision: L2Decision, appliance: ApplianceIdentity,
                 incident: Incident, fallback: str | None) -> None:
    """Store a decision made here, with its guardrail verdicts and the facts it was planned from."""
    await pool.execute(
        sql("l2/decision_insert"),
        decision.decision_id, decision.decision_id, decision.incident_id, appliance.site_id, appliance.id,
        decision.runbook_id, decision.confidence, decision.requires_human_review, decision.pattern_signature,
        decision.provider, decision.model, decision.input_tokens, decision.output_tokens, decision.cost_usd,
        decision.latency_ms, decision.decided_at, decision.model_dump(mode="json"), decision.guardrails,
        signature_facts(incident), "central", fallback,
    )
