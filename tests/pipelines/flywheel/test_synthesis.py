"""Rule synthesis: tree leaves read back as readable, general-enough condition lists."""

from __future__ import annotations

from contracts.rules import load_rules
from pipelines.flywheel.synthesis import categorical_fields, rule_id, synthesize
from tests.pipelines.flywheel.history import SITES, History


def _incident(check_type: str, platform: str, **details) -> dict:
    return {"check_type": check_type, "platform": platform, "details": details}


def test_synthesize_failing_detail_becomes_ne_and_platform_is_pinned(load) -> None:
    history = History()
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-A", n=30, successes=30,
                sites=SITES[:3], details={"protection": "off"})
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-A", n=10, successes=0,
                sites=SITES[:3], details={"protection": "off", "tpm": "absent"})
    _, patterns = load(history)
    [rule] = synthesize(patterns, "RB-A", "disk_encryption")
    assert rule.conditions == [
        {"field": "check_type", "operator": "eq", "value": "disk_encryption"},
        {"field": "platform", "operator": "eq", "value": "windows"},
        {"field": "details.tpm", "operator": "ne", "value": "absent"},
    ]
    assert (rule.positives, rule.negatives) == (30, 0)


def test_synthesize_sibling_values_merge_into_in(load) -> None:
    history = History()
    for state in ("bitlocker_off", "suspended"):
        history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-A", n=10, successes=10,
                    sites=SITES[:3], details={"state": state})
    for state in ("tpm_missing", "third_party", "no_license", "unknown"):
        history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-B", n=10, successes=10,
                    sites=SITES[:3], details={"state": state})
    _, patterns = load(history)
    [rule] = synthesize(patterns, "RB-A", "disk_encryption")
    assert rule.conditions[-1] == {"field": "details.state", "operator": "in", "value": ["bitlocker_off", "suspended"]}
    ruleset = load_rules([{"id": rule.rule_id, "conditions": rule.conditions, "action": "execute_runbook",
                           "runbook_id": "RB-A"}])
    assert ruleset.match(_incident("disk_encryption", "windows", state="suspended"))
    assert not ruleset.match(_incident("disk_encryption", "windows", state="unknown"))
    assert not ruleset.match(_incident("disk_encryption", "linux", state="suspended"))


def test_synthesize_without_negatives_is_as_general_as_the_evidence(load) -> None:
    history = History().add(check_type="smb_signing", platform="windows", runbook_id="RB-A", n=25, successes=25,
                            sites=SITES[:2], details={"profile": "domain"})
    _, patterns = load(history)
    [rule] = synthesize(patterns, "RB-A", "smb_signing")
    assert rule.conditions == [{"field": "check_type", "operator": "eq", "value": "smb_signing"},
                               {"field": "platform", "operator": "eq", "value": "windows"}]


def test_synthesize_unseparable_failures_give_no_rule(load) -> None:
    history = History().add(check_type="smb_signing", platform="windows", runbook_id="RB-A", n=40, successes=24,
                            sites=SITES[:3])
    _, patterns = load(history)
    assert synthesize(patterns, "RB-A", "smb_signing") == []
    assert synthesize(patterns, "RB-A", "smb_signing", leaf_purity=0.55) != []


def test_synthesize_unknown_runbook_gives_nothing(load) -> None:
    _, patterns = load(History().add(check_type="x", platform="linux", runbook_id="RB-A", n=3, successes=3,
                                     sites=SITES[:1]))
    assert synthesize(patterns, "RB-Z", "x") == []


def test_categorical_fields_keep_raw_values_and_drop_volatile_ones() -> None:
    facts = _incident("x", "Windows", Profile="Domain", hostname="ws-1", ip="10.0.0.1", count=4, enabled=False,
                      observed="2026-01-01")
    assert categorical_fields(facts) == {"platform": "Windows", "details.Profile": "Domain", "details.enabled": False}


def test_rule_id_is_stable_and_depends_on_conditions() -> None:
    conds = [{"field": "check_type", "operator": "eq", "value": "x"}]
    assert rule_id("RB-A", conds) == rule_id("RB-A", [dict(conds[0])])
    assert rule_id("RB-A", conds).startswith("L1-AUTO-")
    assert rule_id("RB-A", conds) != rule_id("RB-B", conds)
