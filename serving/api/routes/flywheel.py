"""The flywheel: read candidates, promoted rules and why they exist; admins pin or veto candidates.

A veto takes effect at once: the candidate's live rules are stopped and a new bundle is signed, so
`GET /api/agent/sync` serves it on the next poll. A pin waives the gate's evidence thresholds at
the next pipeline run (never synthesis or the backtest). State and bundle composition live in
`warehouse.flywheel`, shared with the Dagster assets.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from serving.deps import AdminUser, PoolDep, ReadUser, SettingsDep, SigningKeyDep
from serving.errors import NotFound
from serving.services.auth import User
from warehouse import flywheel as state

router = APIRouter(prefix="/api/flywheel", tags=["flywheel"])

Signature = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="pattern signature (16 hex)")]
RunbookId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
RuleId = Annotated[str, Path(min_length=1, max_length=128)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class OverrideBody(BaseModel):
    """Why an admin pins or vetoes a candidate (kept in the audit trail)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(default="", max_length=2000)


class CandidatePublic(BaseModel):
    """One candidate's latest evaluation: the evidence, the synthesized rule, the verdict and why."""

    pattern_signature: str
    runbook_id: str
    check_type: str
    platform: str
    n: int
    successes: int
    wilson_lower: float
    wilson_upper: float
    sites: int
    human_review_share: float
    monthly_decisions: float | None
    monthly_cost_usd: float | None
    monthly_latency_s: float | None
    first_seen: datetime | None
    last_seen: datetime | None
    rule_id: str | None
    rule: dict[str, Any] | None
    backtest: dict[str, Any]
    verdict: str
    reasons: list[str]
    evaluated_at: datetime
    override: str | None
    override_reason: str | None
    override_actor: str | None


class RulePublic(BaseModel):
    """A rule the flywheel manages, at its stage, with its provenance."""

    rule_id: str
    status: str
    source: str
    pattern_signature: str | None
    runbook_id: str | None
    sites: list[str] | None
    conditions: list[Any]
    provenance: dict[str, Any]
    reason: str
    status_since: datetime


class AuditPublic(BaseModel):
    """One audit record: what changed, from what to what, why, on what evidence, in which bundle."""

    id: int
    rule_id: str | None
    pattern_signature: str | None
    runbook_id: str | None
    action: str
    from_status: str | None
    to_status: str | None
    reason: str
    evidence: dict[str, Any]
    actor: str
    bundle_version: int | None
    created_at: datetime


class OverridePublic(BaseModel):
    """The result of a pin or veto: what is now in force, and what it stopped."""

    pattern_signature: str
    runbook_id: str
    action: str
    reason: str
    vetoed_rules: list[str]
    bundle_version: int | None


def _rule(row: dict[str, Any], user: User) -> RulePublic:
    allowed = user.sites_filter()
    sites = row["sites"]
    if sites is not None and allowed is not None:
        sites = [s for s in sites if s in {str(a) for a in allowed}]  # a partner sees only its own sites
    return RulePublic(rule_id=row["rule_id"], status=row["status"], source=row["source"],
                      pattern_signature=row["pattern_signature"], runbook_id=row["runbook_id"], sites=sites,
                      conditions=row["rule"].get("conditions", []), provenance=row["provenance"] or {},
                      reason=row["reason"], status_since=row["status_since"])


@router.get("/candidates")
async def list_candidates(pool: PoolDep, _: ReadUser, verdict: Literal["promote", "reject", "live"] | None = None,
                          limit: Limit = 200) -> list[CandidatePublic]:
    """Candidates with their figures and verdicts, best evidence first."""
    return [CandidatePublic(**c) for c in await state.list_candidates(pool, verdict=verdict, limit=limit)]


@router.get("/candidates/{signature}/{runbook_id}")
async def get_candidate(signature: Signature, runbook_id: RunbookId, pool: PoolDep, _: ReadUser) -> CandidatePublic:
    """One candidate; 404 when the pipeline never evaluated it."""
    found = await state.get_candidate(pool, signature, runbook_id)
    if found is None:
        raise NotFound("candidate", f"{signature}/{runbook_id}")
    return CandidatePublic(**found)


async def _override(action: str, signature: str, runbook_id: str, body: OverrideBody, pool, user: User,
                    signing_key, settings) -> OverridePublic:
    if await state.get_candidate(pool, signature, runbook_id) is None:
        raise NotFound("candidate", f"{signature}/{runbook_id}")
    vetoed = await state.set_override(pool, signature, runbook_id, action, body.reason, user.label)
    version = None
    if vetoed:
        published = await state.republish(pool, signing_key, expires_in=timedelta(days=settings.bundle_expires_days))
        version = published.version
    return OverridePublic(pattern_signature=signature, runbook_id=runbook_id, action=action, reason=body.reason,
                          vetoed_rules=vetoed, bundle_version=version)


@router.post("/candidates/{signature}/{runbook_id}/pin")
async def pin(signature: Signature, runbook_id: RunbookId, body: OverrideBody, pool: PoolDep, user: AdminUser,
              signing_key: SigningKeyDep, settings: SettingsDep) -> OverridePublic:
    """Waive the evidence thresholds for this candidate (admins); synthesis and the backtest still apply."""
    return await _override("pin", signature, runbook_id, body, pool, user, signing_key, settings)


@router.post("/candidates/{signature}/{runbook_id}/veto")
async def veto(signature: Signature, runbook_id: RunbookId, body: OverrideBody, pool: PoolDep, user: AdminUser,
               signing_key: SigningKeyDep, settings: SettingsDep) -> OverridePublic:
    """Never promote this candidate (admins); its live rules stop now and a new bundle is signed."""
    return await _override("veto", signature, runbook_id, body, pool, user, signing_key, settings)


@router.delete("/candidates/{signature}/{runbook_id}/override", status_code=status.HTTP_204_NO_CONTENT)
async def clear_override(signature: Signature, runbook_id: RunbookId, pool: PoolDep, user: AdminUser) -> Response:
    """Withdraw a pin or veto (admins); 404 when there is none."""
    if await state.clear_override(pool, signature, runbook_id, user.label) is None:
        raise NotFound("override on candidate", f"{signature}/{runbook_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/rules")
async def list_rules(pool: PoolDep, user: ReadUser,
                     status_: Annotated[Literal["shadow", "canary", "active", "demoted", "vetoed"] | None,
                                        Query(alias="status")] = None) -> list[RulePublic]:
    """Promoted rules at every stage (or one), with provenance."""
    rows = await state.promoted_rules(pool, (status_,) if status_ else None)
    return [_rule(r, user) for r in rows if r["source"] == "promoted"]


@router.get("/rules/{rule_id}")
async def get_rule(rule_id: RuleId, pool: PoolDep, user: ReadUser) -> RulePublic:
    """One promoted rule; 404 when unknown."""
    found = [r for r in await state.promoted_rules(pool) if r["rule_id"] == rule_id]
    if not found:
        raise NotFound("rule", rule_id)
    return _rule(found[0], user)


@router.get("/rules/{rule_id}/audit")
async def rule_audit(rule_id: RuleId, pool: PoolDep, _: ReadUser, limit: Limit = 200) -> list[AuditPublic]:
    """Why this rule exists, or stopped: every stage change with its evidence, newest first."""
    records = await state.audit_trail(pool, rule_id, limit)
    if not records:
        raise NotFound("rule", rule_id)
    return [AuditPublic(**r) for r in records]


@router.get("/audit")
async def audit(pool: PoolDep, _: ReadUser, limit: Limit = 200) -> list[AuditPublic]:
    """Every promotion, stage change, demotion, pin and veto, newest first."""
    return [AuditPublic(**r) for r in await state.audit_trail(pool, None, limit)]
