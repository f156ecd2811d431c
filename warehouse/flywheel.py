"""The flywheel's lifecycle state in Postgres, shared by the pipeline and Central Command's API.

Tables (migration `0005_flywheel`): `rule_candidates` (the last evaluation of each
(pattern_signature, runbook_id)), `rules` (promoted rules and their stage: shadow, canary, active,
demoted, vetoed), `candidate_overrides` (admins' pins and vetoes) and `rule_audit` (every stage
change, with its evidence and the bundle version that carried it). `republish` composes the bundle
(builtin rules + manual rules + promoted rules at their stage) and signs it through
`warehouse.bundles.publish_rules`, which skips unchanged rule sets.

JSON travels as text (`::text` casts both ways), so these work on a plain connection and on a pool
with JSON codecs alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

import asyncpg
import nacl.signing

from contracts.rules import load_rules
from warehouse.bundles import DEFAULT_EXPIRY, Published, _connection, publish_rules
from warehouse.rows import _row_dict
from warehouse.sql_files import sql

LIVE = ("shadow", "canary", "active")
"""Stages a promoted rule ships in the bundle with."""


@dataclass(frozen=True)
class Transition:
    """One stage change of a promoted rule (from_status None: the rule is new)."""

    rule_id: str
    to_status: str
    from_status: str | None
    reason: str
    pattern_signature: str | None = None
    runbook_id: str | None = None
    rule: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    sites: list[str] | None = None
    set_sites: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
    actor: str = "flywheel"


def builtin_rules() -> list[dict[str, Any]]:
    """The appliance's builtin L1 rules as dicts, read as a data file (the `agent` code is never imported)."""
    text = (resources.files("agent") / "runbooks" / "builtin_rules.yaml").read_text(encoding="utf-8")
    return load_rules(text).to_dicts()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _decoded(row: asyncpg.Record, *names: str) -> dict[str, Any]:
    out = _row_dict(row)
    for name in names:
        if out.get(name) is not None:
            out[name] = json.loads(out[name])
    return out


# --- candidates and overrides -------------------------------------------------------------------


async def save_candidates(conn: asyncpg.Connection, candidates: list[dict[str, Any]]) -> int:
    """Upsert evaluated candidates (`gate.judge` output); returns how many rows actually changed.

    `rule` keeps the synthesized proposal (id, runbook, conditions); the promoted rule with its
    provenance lives in `rules` once it ships.
    """
    changed = 0
    for c in candidates:
        rule = ({"id": c["rule_id"], "runbook_id": c["runbook_id"], "conditions": c["conditions"]}
                if c.get("conditions") else None)
        row = await conn.fetchrow(
            sql("flywheel/state/candidate_upsert"), c["pattern_signature"], c["runbook_id"], c["check_type"] or "",
            c["platform"] or "", c["n"], c["successes"], c["wilson_lower"], c["wilson_upper"], c["sites"],
            c["human_review_share"] or 0.0, c["monthly_decisions"], c["monthly_cost_usd"], c["monthly_latency_s"],
            c["first_seen"], c["last_seen"], c.get("rule_id"), _json(rule), _json(c.get("backtest") or {}),
            c["verdict"], _json(c.get("reasons") or []))
        changed += row is not None
    return changed


_CANDIDATE_JSON = ("rule", "backtest", "reasons")


async def list_candidates(target: asyncpg.Pool | asyncpg.Connection, *, verdict: str | None = None,
                          limit: int = 200) -> list[dict[str, Any]]:
    """Evaluated candidates with any override, best evidence first."""
    async with _connection(target) as conn:
        rows = await conn.fetch(sql("flywheel/state/candidate_list"), verdict, limit)
    return [_decoded(r, *_CANDIDATE_JSON) for r in rows]


async def get_candidate(target: asyncpg.Pool | asyncpg.Connection, signature: str,
                        runbook_id: str) -> dict[str, Any] | None:
    """One candidate, or None."""
    async with _connection(target) as conn:
        row = await conn.fetchrow(sql("flywheel/state/candidate_get"), signature, runbook_id)
    return None if row is None else _decoded(row, *_CANDIDATE_JSON)


async def overrides(target: asyncpg.Pool | asyncpg.Connection) -> dict[str, dict[str, Any]]:
    """Pins and vetoes by candidate key (`signature|runbook_id`)."""
    async with _connection(target) as conn:
        rows = await conn.fetch(sql("flywheel/state/override_list"))
    return {f"{r['pattern_signature']}|{r['runbook_id']}": _row_dict(r) for r in rows}


async def _audit(conn: asyncpg.Connection, *, rule_id: str | None, signature: str | None, runbook_id: str | None,
                 action: str, from_status: str | None, to_status: str | None, reason: str,
                 evidence: dict[str, Any], actor: str) -> None:
    await conn.execute(sql("flywheel/state/audit_insert"), rule_id, signature, runbook_id, action, from_status,
                       to_status, reason, _json(evidence), actor)


async def set_override(target: asyncpg.Pool | asyncpg.Connection, signature: str, runbook_id: str, action: str,
                       reason: str, actor: str) -> list[str]:
    """Pin or veto a candidate (audited); a veto also stops its live rules at once. Returns the rules vetoed."""
    async with _connection(target) as conn, conn.transaction():
        await conn.execute(sql("flywheel/state/override_set"), signature, runbook_id, action, reason, actor)
        await _audit(conn, rule_id=None, signature=signature, runbook_id=runbook_id, action=action,
                     from_status=None, to_status=None, reason=reason, evidence={}, actor=actor)
        if action != "veto":
            return []
        vetoed = []
        for row in await promoted_rules(conn, LIVE):
            if signature in signatures(row) and row["runbook_id"] == runbook_id:
                done = await apply_transitions(conn, [Transition(
                    row["rule_id"], "vetoed", row["status"], f"vetoed by {actor}: {reason or 'no reason given'}",
                    signature, runbook_id, actor=actor)])
                vetoed += done
        return vetoed


async def clear_override(target: asyncpg.Pool | asyncpg.Connection, signature: str, runbook_id: str,
                         actor: str) -> str | None:
    """Withdraw a pin or veto (audited); returns what was withdrawn, or None if there was nothing."""
    async with _connection(target) as conn, conn.transaction():
        action = await conn.fetchval(sql("flywheel/state/override_delete"), signature, runbook_id)
        if action is not None:
            await _audit(conn, rule_id=None, signature=signature, runbook_id=runbook_id, action=f"clear_{action}",
                         from_status=None, to_status=None, reason=f"{action} withdrawn", evidence={}, actor=actor)
        return action


# --- rules and their stages ---------------------------------------------------------------------


def signatures(row: dict[str, Any]) -> set[str]:
    """Every signature a rule row covers: its own and those in its provenance."""
    prov = row.get("provenance") or {}
    return {s for s in [row.get("pattern_signature"), *prov.get("signatures", [])] if s}


async def promoted_rules(target: asyncpg.Pool | asyncpg.Connection,
                         statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Rules rows (any source) with these statuses, by id; `rule` and `provenance` decoded."""
    async with _connection(target) as conn:
        rows = await conn.fetch(sql("flywheel/state/rule_list"), list(statuses) if statuses else None)
    return [_decoded(r, "rule", "provenance") for r in rows]


async def apply_transitions(target: asyncpg.Pool | asyncpg.Connection, transitions: list[Transition]) -> list[str]:
    """Apply stage changes, each with its audit record, in one transaction; returns the rule ids changed.

    A transition whose rule is no longer in `from_status` (someone else moved it) is skipped.
    """
    applied = []
    async with _connection(target) as conn, conn.transaction():
        for t in transitions:
            if t.from_status is None:
                done = await conn.fetchval(sql("flywheel/state/rule_insert"), t.rule_id, _json(t.rule), t.to_status,
                                           t.pattern_signature, t.runbook_id, t.sites, _json(t.provenance or {}),
                                           t.reason)
            else:
                done = await conn.fetchval(sql("flywheel/state/rule_transition"), t.rule_id, t.to_status, t.sites,
                                           _json(t.rule), _json(t.provenance), t.reason, t.from_status, t.set_sites)
            if done is None:
                continue
            await _audit(conn, rule_id=t.rule_id, signature=t.pattern_signature, runbook_id=t.runbook_id,
                         action=t.to_status, from_status=t.from_status, to_status=t.to_status, reason=t.reason,
                         evidence=t.evidence, actor=t.actor)
            applied.append(t.rule_id)
    return applied


async def audit_trail(target: asyncpg.Pool | asyncpg.Connection, rule_id: str | None = None,
                      limit: int = 200) -> list[dict[str, Any]]:
    """Audit records newest first, for one rule or all."""
    async with _connection(target) as conn:
        rows = await conn.fetch(sql("flywheel/state/audit_list"), rule_id, limit)
    return [_decoded(r, "evidence") for r in rows]


async def shadow_evidence(target: asyncpg.Pool | asyncpg.Connection, rule_ids: list[str]) -> list[dict[str, Any]]:
    """Per (rule, site): shadow matches agreeing / disagreeing with L2's verified outcome."""
    async with _connection(target) as conn:
        return [dict(r) for r in await conn.fetch(sql("flywheel/state/shadow_evidence"), rule_ids)]


async def rule_outcomes(target: asyncpg.Pool | asyncpg.Connection, rule_ids: list[str]) -> list[dict[str, Any]]:
    """Per (rule, site): verified L1 outcomes and successes."""
    async with _connection(target) as conn:
        return [dict(r) for r in await conn.fetch(sql("flywheel/state/rule_outcomes"), rule_ids)]


# --- the bundle ---------------------------------------------------------------------------------


def render(row: dict[str, Any]) -> dict[str, Any]:
    """A rules row as the bundle carries it: shadow stays shadow, canary is active on its sites only."""
    rule = dict(row["rule"])
    rule["id"] = row["rule_id"]
    rule["provenance"] = row.get("provenance") or rule.get("provenance")
    rule["status"] = "shadow" if row["status"] == "shadow" else "active"
    rule["sites"] = list(row["sites"]) if row["status"] == "canary" and row.get("sites") else None
    return rule


async def bundle_rules(target: asyncpg.Pool | asyncpg.Connection,
                       builtin: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """What the bundle holds: builtin rules, then active manual rules, then promoted rules at their stage."""
    base = builtin_rules() if builtin is None else builtin
    taken = {r["id"] for r in base}
    rows = [r for r in await promoted_rules(target, LIVE) if r["rule_id"] not in taken]
    manual = [render(r) for r in rows if r["source"] != "promoted" and r["status"] == "active"]
    promoted = [render(r) for r in rows if r["source"] == "promoted"]
    return [*base, *manual, *promoted]


async def republish(target: asyncpg.Pool | asyncpg.Connection, signing_key: nacl.signing.SigningKey, *,
                    builtin: list[dict[str, Any]] | None = None, expires_in: timedelta = DEFAULT_EXPIRY) -> Published:
    """Compose and sign the bundle if its rules changed; stamps the new version on pending audit records."""
    async with _connection(target) as conn:
        rules = await bundle_rules(conn, builtin)
        published = await publish_rules(conn, rules, signing_key, expires_in=expires_in)
        if published.published:
            await conn.execute(sql("flywheel/state/audit_attach_version"), published.version)
        return published
