"""The gate on synthetic history where the right answer is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.rules import load_rules
from pipelines.flywheel import mining, transforms
from pipelines.flywheel.errors import GateConfigError
from pipelines.flywheel.gate import GateConfig, key
from tests.pipelines.flywheel.history import SITES, History

BITLOCKER = {"check_type": "disk_encryption", "platform": "windows", "runbook_id": "RB-WIN-BITLOCKER-001"}


def simulate(history: History, tmp_path: Path, **config):
    frame = mining.read_history(history.write(tmp_path / "history.jsonl"))
    return transforms.simulate(frame, GateConfig(**config))


def by_runbook(evaluation) -> dict[str, dict]:
    return {c["runbook_id"]: c for c in evaluation.candidates}


def test_gate_reliable_pattern_on_three_sites_is_promoted_with_the_right_conditions(tmp_path: Path) -> None:
    history = History()
    history.add(**BITLOCKER, n=40, successes=39, sites=SITES[:3], details={"protection": "off"})
    # The same runbook fails where there is no TPM; the rule must exclude exactly that.
    history.add(**BITLOCKER, n=8, successes=0, sites=SITES[:3], details={"protection": "off", "tpm": "absent"})
    evaluation = simulate(history, tmp_path)
    [rule] = evaluation.promoted
    assert rule["conditions"] == [
        {"field": "check_type", "operator": "eq", "value": "disk_encryption"},
        {"field": "platform", "operator": "eq", "value": "windows"},
        {"field": "details.tpm", "operator": "ne", "value": "absent"},
    ]
    assert rule["id"].startswith("L1-AUTO-") and rule["source"] == "promoted"
    assert rule["runbook_id"] == "RB-WIN-BITLOCKER-001" and rule["action"] == "execute_runbook"
    prov = rule["provenance"]
    assert (prov["n"], prov["successes"], prov["sites"]) == (40, 39, 3)
    assert prov["wilson_lower"] == pytest.approx(0.8712, abs=1e-4)
    assert prov["backtest_precision"] == 0.975 and prov["shadow_agreement"] is None
    assert prov["first_seen"].startswith("2026-10-01") and prov["last_seen"] > prov["first_seen"]
    ruleset = load_rules([rule])  # the L1 rule format, as it stands
    assert ruleset.match({"check_type": "disk_encryption", "platform": "windows", "details": {"protection": "off"}})
    assert not ruleset.match({"check_type": "disk_encryption", "platform": "windows",
                              "details": {"protection": "off", "tpm": "absent"}})


def test_gate_sixty_percent_success_is_not_promoted(tmp_path: Path) -> None:
    history = History().add(**BITLOCKER, n=60, successes=36, sites=SITES[:3])
    evaluation = simulate(history, tmp_path)
    assert evaluation.promoted == []
    [candidate] = evaluation.candidates
    assert candidate["verdict"] == "reject"
    assert any(r.startswith("Wilson lower bound 0.4") for r in candidate["reasons"])


def test_gate_one_site_is_not_promoted(tmp_path: Path) -> None:
    history = History().add(**BITLOCKER, n=60, successes=60, sites=SITES[:1])
    evaluation = simulate(history, tmp_path)
    assert evaluation.promoted == []
    assert evaluation.candidates[0]["reasons"] == ["1 site < 2"]
    assert simulate(history, tmp_path, min_sites=1).promoted != []


def test_gate_too_few_decisions_even_if_all_healed(tmp_path: Path) -> None:
    history = History().add(**BITLOCKER, n=4, successes=4, sites=SITES[:2])
    [candidate] = simulate(history, tmp_path).candidates
    assert "n 4 < 5" in candidate["reasons"]


def test_gate_conflict_with_builtin_rule_is_rejected(tmp_path: Path) -> None:
    # L2 chose another runbook for a drift a builtin rule already covers: promoting it would fight that rule.
    history = History().add(check_type="firewall_status", platform="windows", runbook_id="RB-OTHER-FW", n=40,
                            successes=40, sites=SITES[:3])
    [candidate] = simulate(history, tmp_path).candidates
    assert candidate["verdict"] == "reject"
    assert candidate["reasons"] == ["conflicts with L1-FIREWALL-001 on 40 past incidents"]


def test_gate_pin_waives_evidence_thresholds_veto_rejects(load) -> None:
    history = History()
    history.add(**BITLOCKER, n=6, successes=6, sites=SITES[:1])
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-SMB", n=40, successes=40,
                sites=SITES[:3])
    con, _ = load(history)
    sigs = {c["runbook_id"]: c["pattern_signature"] for c in mining.mine(con).iter_rows(named=True)}
    overrides = {key(sigs["RB-WIN-BITLOCKER-001"], "RB-WIN-BITLOCKER-001"): {"action": "pin"},
                 key(sigs["RB-SMB"], "RB-SMB"): {"action": "veto", "reason": "change freeze"}}
    evaluation = transforms.evaluate(con, [], GateConfig(), overrides)
    got = by_runbook(evaluation)
    assert got["RB-WIN-BITLOCKER-001"]["verdict"] == "promote" and got["RB-WIN-BITLOCKER-001"]["override"] == "pin"
    assert got["RB-SMB"]["verdict"] == "reject"
    assert got["RB-SMB"]["reasons"] == ["vetoed by an admin: change freeze"]
    assert [r["runbook_id"] for r in evaluation.promoted] == ["RB-WIN-BITLOCKER-001"]


def test_gate_live_candidate_is_not_promoted_twice(load) -> None:
    con, _ = load(History().add(**BITLOCKER, n=40, successes=40, sites=SITES[:3]))
    first = transforms.evaluate(con, [])
    [rule] = first.promoted
    k = key(first.candidates[0]["pattern_signature"], BITLOCKER["runbook_id"])
    existing = list(load_rules([{**rule, "status": "shadow"}]))
    again = transforms.evaluate(con, existing, live={k: rule["id"]})
    assert again.promoted == []
    assert again.candidates[0]["verdict"] == "live"
    assert again.candidates[0]["reasons"] == [f"already live as {rule['id']}"]


@pytest.mark.parametrize(("setting", "value"), [("min_wilson_lower", 1.5), ("min_n", 0), ("leaf_purity", -0.1),
                                                 ("max_depth", 0), ("min_sites", True)])
def test_gate_config_out_of_range_is_refused(setting: str, value: object) -> None:
    with pytest.raises(GateConfigError, match=setting):
        GateConfig(**{setting: value})
