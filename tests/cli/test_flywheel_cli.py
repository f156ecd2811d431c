"""`osiris flywheel simulate` as a data engineer runs it: real processes, JSON out, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipelines.flywheel.history import SITES, History

REPO = Path(__file__).resolve().parents[2]


def osiris(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "160"})


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reliable BitLocker pattern on three sites, and a 60 % SMB one."""
    history = History()
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-WIN-BITLOCKER-001", n=40,
                successes=39, sites=SITES[:3], details={"protection": "off"})
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-WIN-SMB-SIGNING-001", n=40,
                successes=24, sites=SITES[:3])
    return history.write(tmp_path_factory.mktemp("history") / "history.jsonl")


def test_simulate_json_last_line_has_candidates_and_rules_eval_accepts_the_promoted(history: Path,
                                                                                    tmp_path: Path) -> None:
    result = osiris("flywheel", "simulate", "--history", history, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    verdicts = {c["runbook_id"]: c["verdict"] for c in out["candidates"]}
    assert verdicts == {"RB-WIN-BITLOCKER-001": "promote", "RB-WIN-SMB-SIGNING-001": "reject"}
    [rule] = out["promoted"]
    assert rule["provenance"]["n"] == 40 and rule["source"] == "promoted"
    rules = tmp_path / "promoted.json"
    rules.write_text(json.dumps(out["promoted"]))
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text(json.dumps({"check_type": "disk_encryption", "platform": "windows", "details": {}}) + "\n"
                         + json.dumps({"check_type": "smb_signing", "platform": "windows"}) + "\n")
    evaluated = osiris("rules", "eval", "--rules", rules, "--incident", incidents)
    assert evaluated.returncode == 0, evaluated.stderr
    assert [json.loads(line) for line in evaluated.stdout.splitlines()] == [
        {"matched": True, "rule_id": rule["id"], "action": "execute_runbook", "runbook_id": "RB-WIN-BITLOCKER-001"},
        {"matched": False},
    ]


def test_simulate_table_shows_every_candidate_and_its_verdict(history: Path) -> None:
    result = osiris("flywheel", "simulate", "--history", history)
    assert result.returncode == 0, result.stderr
    assert "RB-WIN-BITLOCKER-001" in result.stdout and "promote" in result.stdout
    assert "reject: Wilson lower bound 0.446 < 0.85" in result.stdout
    assert "1 of 2 candidates would enter shadow" in result.stdout


def test_simulate_thresholds_move_the_verdicts(history: Path) -> None:
    result = osiris("flywheel", "simulate", "--history", history, "--json", "--min-lower", "0.9")
    assert json.loads(result.stdout.splitlines()[-1])["promoted"] == []


def test_simulate_broken_history_is_one_line_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"decision_id": "d1"}\n')
    assert_one_line_error(osiris("flywheel", "simulate", "--history", bad), 1, "history line 1")
    assert_one_line_error(osiris("flywheel", "simulate", "--history", tmp_path / "none.jsonl"), 1, "cannot read")


def test_simulate_bad_setting_or_rules_is_one_line_exit_2(history: Path, tmp_path: Path) -> None:
    assert_one_line_error(osiris("flywheel", "simulate", "--history", history, "--min-lower", "2"), 2,
                          "min_wilson_lower")
    rules = tmp_path / "rules.json"
    rules.write_text('[{"id": "X", "conditions": [], "action": "execute_runbook", "runbook_id": "RB"}]')
    assert_one_line_error(osiris("flywheel", "simulate", "--history", history, "--rules", rules), 2, "invalid rule set")
