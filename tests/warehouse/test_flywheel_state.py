"""warehouse.flywheel: lifecycle state, audit, pins and vetoes, evidence queries and the composed bundle."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, generate_signing_key
from tests.pipelines.flywheel import pgseed
from warehouse import flywheel as state
from warehouse.bundles import current_bundle

SIG, RB = "a1c86925e5be7edf", "RB-WIN-BITLOCKER-001"
RULE = {"id": "L1-AUTO-TEST000001", "priority": 50, "enabled": True, "source": "promoted", "action": "execute_runbook",
        "runbook_id": RB, "params": {}, "status": "active", "sites": None,
        "conditions": [{"field": "check_type", "operator": "eq", "value": "disk_encryption"}],
        "provenance": {"signature": SIG, "signatures": [SIG], "n": 40}}


def run(pg_url: str, fn):
    async def _go():
        conn = await asyncpg.connect(pg_url)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(_go())


def new(status: str = "shadow") -> state.Transition:
    return state.Transition(RULE["id"], status, None, "passed the gate", SIG, RB, rule=RULE,
                            provenance=RULE["provenance"], evidence={"n": 40})


def test_transitions_are_audited_and_stale_ones_skipped(pg_url: str) -> None:
    async def scenario(conn):
        first = await state.apply_transitions(conn, [new()])
        again = await state.apply_transitions(conn, [new()])  # the id exists: nothing happens
        canary = await state.apply_transitions(conn, [state.Transition(
            RULE["id"], "canary", "shadow", "agreed", SIG, RB, sites=["s1"], set_sites=True,
            provenance={**RULE["provenance"], "shadow_agreement": 1.0})])
        stale = await state.apply_transitions(conn, [state.Transition(RULE["id"], "active", "shadow", "late", SIG, RB)])
        return first, again, canary, stale, await state.promoted_rules(conn), await state.audit_trail(conn, RULE["id"])

    first, again, canary, stale, rules, audit = run(pg_url, scenario)
    assert (first, again, canary, stale) == ([RULE["id"]], [], [RULE["id"]], [])
    [row] = rules
    assert (row["status"], row["sites"], row["provenance"]["shadow_agreement"]) == ("canary", ["s1"], 1.0)
    assert row["rule"]["conditions"] == RULE["conditions"]
    assert [(a["from_status"], a["to_status"], a["reason"]) for a in audit] == [
        ("shadow", "canary", "agreed"), (None, "shadow", "passed the gate")]
    assert audit[1]["evidence"] == {"n": 40} and audit[1]["actor"] == "flywheel"


def test_republish_carries_each_stage_and_skips_unchanged(pg_url: str) -> None:
    key = generate_signing_key()

    async def scenario(conn):
        await state.apply_transitions(conn, [new()])
        v1 = await state.republish(conn, key)
        again = await state.republish(conn, key)
        await state.apply_transitions(conn, [state.Transition(RULE["id"], "canary", "shadow", "agreed", SIG, RB,
                                                              sites=["s2", "s1"], set_sites=True)])
        v2 = await state.republish(conn, key)
        return v1, again, v2, await current_bundle(conn), await state.audit_trail(conn)

    v1, again, v2, current, audit = run(pg_url, scenario)
    assert (v1.version, v1.published) == (1, True)
    assert (again.version, again.published) == (1, False)
    assert (v2.version, v2.published) == (2, True)
    bundle = verify_bundle(current.envelope, Keyring.of(key.verify_key))
    builtin = state.builtin_rules()
    assert bundle.rules[: len(builtin)] == builtin
    promoted = bundle.rules[len(builtin):]
    assert [(r["id"], r["status"], r["sites"]) for r in promoted] == [(RULE["id"], "active", ["s2", "s1"])]
    assert [(a["to_status"], a["bundle_version"]) for a in audit] == [("canary", 2), ("shadow", 1)]


def test_veto_stops_the_live_rule_at_once_and_clear_withdraws(pg_url: str) -> None:
    async def scenario(conn):
        await state.apply_transitions(conn, [new("shadow")])
        vetoed = await state.set_override(conn, SIG, RB, "veto", "change freeze", "admin:ops")
        overrides = await state.overrides(conn)
        cleared = await state.clear_override(conn, SIG, RB, "admin:ops")
        nothing = await state.clear_override(conn, SIG, RB, "admin:ops")
        return vetoed, overrides, cleared, nothing, await state.promoted_rules(conn), await state.audit_trail(conn)

    vetoed, overrides, cleared, nothing, rules, audit = run(pg_url, scenario)
    assert vetoed == [RULE["id"]] and rules[0]["status"] == "vetoed"
    assert overrides[f"{SIG}|{RB}"]["action"] == "veto"
    assert (cleared, nothing) == ("veto", None)
    assert [a["action"] for a in audit] == ["clear_veto", "vetoed", "veto", "shadow"]
    assert audit[1]["reason"] == "vetoed by admin:ops: change freeze" and audit[1]["actor"] == "admin:ops"


def test_save_candidates_writes_only_what_moved(pg_url: str) -> None:
    candidate = {"pattern_signature": SIG, "runbook_id": RB, "check_type": "disk_encryption", "platform": "windows",
                 "n": 40, "successes": 39, "wilson_lower": 0.8712, "wilson_upper": 0.9956, "sites": 3,
                 "human_review_share": 0.0, "monthly_decisions": 40.0, "monthly_cost_usd": 0.044,
                 "monthly_latency_s": 96.0, "first_seen": "2026-10-01T08:00:00+00:00",
                 "last_seen": "2026-10-31T08:00:00+00:00", "rule_id": RULE["id"], "conditions": RULE["conditions"],
                 "backtest": {"precision": 0.975}, "verdict": "promote", "reasons": []}

    async def scenario(conn):
        first = await state.save_candidates(conn, [candidate])
        same = await state.save_candidates(conn, [candidate])
        more = await state.save_candidates(conn, [{**candidate, "n": 41}])
        return first, same, more, await state.get_candidate(conn, SIG, RB), await state.list_candidates(conn)

    first, same, more, got, listed = run(pg_url, scenario)
    assert (first, same, more) == (1, 0, 1)
    assert got["n"] == 41 and got["rule"]["id"] == RULE["id"] and got["backtest"] == {"precision": 0.975}
    assert [c["runbook_id"] for c in listed] == [RB]


def test_evidence_queries_judge_shadow_matches_and_count_l1_outcomes(pg_url: str) -> None:
    sites = pgseed.site_ids(2)

    async def scenario(conn):
        await pgseed.add_sites(conn, sites)
        at = pgseed.START
        details = {"protection": "off"}
        for i, (runbook, healed) in enumerate([(RB, True), (RB, True), (RB, False), ("RB-OTHER", True),
                                               ("RB-OTHER", False)]):
            inc = await pgseed.add_l2(conn, sites[i % 2], "disk_encryption", "windows", details, runbook, healed,
                                      at + timedelta(hours=i))
            await pgseed.add_shadow_match(conn, inc, RULE["id"], RB)
            await pgseed.add_shadow_match(conn, inc, RULE["id"], RB)  # a replayed match counts once
        for i, healed in enumerate([True, True, False]):
            await pgseed.add_l1(conn, sites[0], "disk_encryption", "windows", details, RULE["id"], RB, healed,
                                at + timedelta(days=1, hours=i))
        return (await state.shadow_evidence(conn, [RULE["id"]]), await state.rule_outcomes(conn, [RULE["id"]]))

    shadow, outcomes = run(pg_url, scenario)
    # agree: same runbook healed; disagree: same runbook failed, or another runbook healed; else nothing.
    assert sorted((r["site_id"], r["agree"], r["disagree"]) for r in shadow) == [
        (sites[0], 1, 1), (sites[1], 1, 1)]
    assert [(r["site_id"], r["n"], r["successes"]) for r in outcomes] == [(sites[0], 3, 2)]
