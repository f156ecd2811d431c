"""Stage decisions over plain rows: shadow, canary, active, demoted, vetoed, and nothing twice."""

from __future__ import annotations

import pytest

from pipelines.flywheel.errors import GateConfigError
from pipelines.flywheel.lifecycle import LifecycleConfig, demotions, per_rule, promotions, wilson

SIG, RB = "a1c86925e5be7edf", "RB-WIN-BITLOCKER-001"
RULE = {"id": "L1-AUTO-AAAA", "conditions": [{"field": "check_type", "operator": "eq", "value": "x"}],
        "action": "execute_runbook", "runbook_id": RB, "source": "promoted",
        "provenance": {"signature": SIG, "signatures": [SIG], "n": 40}}
CANDIDATE = {"pattern_signature": SIG, "runbook_id": RB, "rule_id": RULE["id"], "verdict": "promote", "n": 40,
             "successes": 39, "wilson_lower": 0.8712, "sites": 3, "human_review_share": 0.0, "monthly_cost_usd": 0.04,
             "monthly_latency_s": 96.0, "backtest": {"precision": 0.975}}


def row(status: str, **extra) -> dict:
    return {"rule_id": RULE["id"], "rule": RULE, "status": status, "source": "promoted", "pattern_signature": SIG,
            "runbook_id": RB, "sites": None, "provenance": dict(RULE["provenance"]), **extra}


def shadow(*sites: tuple[str, int, int]) -> dict:
    return per_rule([{"rule_id": RULE["id"], "site_id": s, "agree": a, "disagree": d} for s, a, d in sites],
                    ("agree", "disagree"))


def outcomes(*sites: tuple[str, int, int]) -> dict:
    return per_rule([{"rule_id": RULE["id"], "site_id": s, "n": n, "successes": ok} for s, n, ok in sites],
                    ("n", "successes"))


def test_promotions_passing_candidate_enters_shadow_with_its_evidence() -> None:
    [t] = promotions([CANDIDATE], [RULE], [], {}, {}, {})
    assert (t.rule_id, t.from_status, t.to_status) == (RULE["id"], None, "shadow")
    assert t.rule == RULE and t.provenance["n"] == 40
    assert t.evidence["wilson_lower"] == 0.8712 and t.evidence["backtest"] == {"precision": 0.975}
    assert "39/40 healed" in t.reason


def test_promotions_nothing_twice_for_a_live_rule() -> None:
    assert promotions([CANDIDATE], [RULE], [row("shadow")], {}, {}, {}) == []
    assert promotions([{**CANDIDATE, "verdict": "reject"}], [], [], {}, {}, {}) == []


def test_promotions_demoted_candidate_needs_a_pin_to_return() -> None:
    assert promotions([CANDIDATE], [RULE], [row("demoted")], {}, {}, {}) == []
    [t] = promotions([CANDIDATE], [RULE], [row("demoted")], {f"{SIG}|{RB}": {"action": "pin"}}, {}, {})
    assert (t.from_status, t.to_status) == ("demoted", "shadow") and "pinned" in t.reason


def test_promotions_veto_stops_a_live_rule() -> None:
    overrides = {f"{SIG}|{RB}": {"action": "veto", "reason": "change freeze", "actor": "admin:ops"}}
    [t] = promotions([], [], [row("active")], overrides, {}, {})
    assert (t.from_status, t.to_status) == ("active", "vetoed")
    assert t.reason == "vetoed by admin:ops: change freeze"


def test_promotions_shadow_goes_canary_on_the_sites_with_most_agreement() -> None:
    assert promotions([], [], [row("shadow")], {}, shadow(("s1", 4, 0)), {}) == []  # 4 < 5 agreements
    assert promotions([], [], [row("shadow")], {}, shadow(("s1", 5, 1)), {}) == []  # 5/6 < 0.9
    [t] = promotions([], [], [row("shadow")], {}, shadow(("s1", 3, 0), ("s2", 5, 0), ("s3", 1, 0), ("s4", 0, 0)), {})
    assert (t.from_status, t.to_status, t.sites, t.set_sites) == ("shadow", "canary", ["s2", "s1"], True)
    assert t.provenance["shadow_agreement"] == 1.0 and t.provenance["shadow_matches"] == 9
    assert t.provenance["n"] == 40  # the gate's figures stay


def test_promotions_canary_goes_active_after_canary_successes() -> None:
    canary = row("canary", sites=["s2"])
    assert promotions([], [], [canary], {}, {}, outcomes(("s2", 4, 4))) == []
    assert promotions([], [], [canary], {}, {}, outcomes(("s2", 10, 8))) == []
    [t] = promotions([], [], [canary], {}, {}, outcomes(("s2", 6, 6)))
    assert (t.to_status, t.sites, t.set_sites) == ("active", None, True)
    assert t.provenance["canary_successes"] == 6


def test_demotions_failing_active_rule_is_demoted_with_the_reason() -> None:
    assert demotions([row("active")], {}, outcomes(("s1", 10, 9))) == []
    assert demotions([row("active")], {}, outcomes(("s1", 3, 2))) == []  # too little evidence to condemn
    [t] = demotions([row("active")], {}, outcomes(("s1", 20, 12)))
    assert (t.from_status, t.to_status) == ("active", "demoted")
    assert t.reason.startswith("L1 healed 12/20: Wilson upper bound 0.") and t.evidence["wilson_upper"] < 0.85


def test_demotions_disagreeing_shadow_rule_and_never_a_builtin() -> None:
    [t] = demotions([row("shadow")], shadow(("s1", 2, 10)), {})
    assert t.to_status == "demoted" and "shadow agreed with L2 2/12" in t.reason
    assert demotions([row("active", source="builtin")], {}, outcomes(("s1", 20, 0))) == []


def test_wilson_interval_edges() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(5, 5)
    assert low == pytest.approx(0.5655, abs=1e-4) and high == 1.0


def test_lifecycle_config_out_of_range_is_refused() -> None:
    with pytest.raises(GateConfigError, match="canary_sites"):
        LifecycleConfig(canary_sites=0)
