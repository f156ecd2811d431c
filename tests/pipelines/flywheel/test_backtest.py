"""The backtest: precision over history through contracts.rules, and conflicts with existing rules."""

from __future__ import annotations

from contracts.rules import load_rules
from pipelines.flywheel.backtest import backtest
from tests.pipelines.flywheel.history import SITES, History


def _rule(rule_id: str, runbook: str, *conditions: tuple[str, str, object], action: str = "execute_runbook",
          **extra) -> dict:
    return {"id": rule_id, "action": action, "runbook_id": runbook if action == "execute_runbook" else None,
            "conditions": [{"field": f, "operator": op, "value": v} for f, op, v in conditions], **extra}


CHECK = ("check_type", "eq", "smb_signing")


def _history() -> History:
    history = History()
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-A", n=20, successes=18,
                sites=SITES[:2], details={"profile": "domain"})
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-B", n=5, successes=5,
                sites=SITES[:2], details={"profile": "standalone"})
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-C", n=3, successes=0,
                sites=SITES[:2], details={"profile": "standalone"})
    return history


def test_backtest_counts_own_failures_and_other_runbooks_heals(load) -> None:
    _, patterns = load(_history())
    broad = _rule("NEW-BROAD", "RB-A", CHECK)
    narrow = _rule("NEW-NARROW", "RB-A", CHECK, ("details.profile", "eq", "domain"))
    results = backtest([broad, narrow], patterns)
    # RB-C's failures say nothing about RB-A: neither a hit nor a miss.
    assert results["NEW-BROAD"].to_dict() == {"matched": 28, "true_positives": 18, "false_positives": 7,
                                              "precision": 0.72, "conflicts": 0, "conflicting_rules": []}
    assert results["NEW-NARROW"].precision == 0.9
    assert results["NEW-NARROW"].matched == 20


def test_backtest_conflict_with_rule_picking_another_runbook(load) -> None:
    _, patterns = load(_history())
    existing = list(load_rules([
        _rule("L1-OTHER", "RB-B", CHECK, ("platform", "eq", "windows"), sites=["site-a"]),  # canary: still counts
        _rule("L1-SAME", "RB-A", CHECK),
        _rule("L1-OFF", "RB-B", CHECK, enabled=False),
    ]))
    result = backtest([_rule("NEW", "RB-A", CHECK, ("details.profile", "eq", "domain"))], patterns, existing)["NEW"]
    assert result.conflicts == 20
    assert result.conflicting_rules == {"L1-OTHER"}  # same runbook and disabled rules are no conflict


def test_backtest_escalating_rule_is_a_conflict(load) -> None:
    _, patterns = load(_history())
    existing = list(load_rules([_rule("L1-ESC", "", CHECK, ("details.profile", "eq", "domain"), action="escalate")]))
    result = backtest([_rule("NEW", "RB-A", CHECK)], patterns, existing)["NEW"]
    assert result.conflicting_rules == {"L1-ESC"} and result.conflicts == 20


def test_backtest_rule_matching_nothing_has_no_precision(load) -> None:
    _, patterns = load(_history())
    result = backtest([_rule("NEW", "RB-A", ("check_type", "eq", "firewall_status"))], patterns)["NEW"]
    assert result.matched == 0 and result.precision is None
