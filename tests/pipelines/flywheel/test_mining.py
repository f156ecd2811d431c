"""Candidate mining: the SQL's counts and Wilson bounds, and the history reader's typed errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from pipelines.flywheel import mining
from pipelines.flywheel.errors import HistoryError
from tests.pipelines.flywheel.history import SITES, History


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The textbook Wilson score interval, as the reference for the SQL."""
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


def mined(history: History, tmp_path: Path):
    con = duckdb.connect(":memory:")
    mining.load_history(con, mining.read_history(history.write(tmp_path / "h.jsonl")))
    return con, mining.mine(con)


def test_mine_wilson_bounds_match_reference(tmp_path: Path) -> None:
    history = History()
    cases = [(40, 39), (22, 22), (5, 5), (10, 6), (7, 0)]
    for i, (n, ok) in enumerate(cases):
        history.add(check_type=f"check_{i}", platform="windows", runbook_id=f"RB-{i}", n=n, successes=ok,
                    sites=SITES[:2])
    _, frame = mined(history, tmp_path)
    got = {r["runbook_id"]: r for r in frame.iter_rows(named=True)}
    for i, (n, ok) in enumerate(cases):
        low, high = wilson(ok, n)
        row = got[f"RB-{i}"]
        assert (row["n"], row["successes"]) == (n, ok)
        assert row["wilson_lower"] == pytest.approx(low, abs=1e-12)
        assert row["wilson_upper"] == pytest.approx(high, abs=1e-12)
    # 22 straight successes is the fewest that clears the default 0.85 lower bound.
    assert wilson(22, 22)[0] >= 0.85 > wilson(21, 21)[0]


def test_mine_groups_by_signature_and_runbook_with_savings(tmp_path: Path) -> None:
    history = History()
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-A", n=31, successes=30,
                sites=SITES[:3], details={"protection": "off"}, confidence=0.6, cost_usd=0.002, latency_ms=3000,
                days=30)
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-B", n=4, successes=4,
                sites=SITES[:1], details={"protection": "off"})
    history.add(check_type="disk_encryption", platform="windows", runbook_id="RB-A", n=3, successes=3,
                sites=SITES[:1], details={"protection": "suspended"})
    _, frame = mined(history, tmp_path)
    assert frame.height == 3
    top = frame.row(0, named=True)
    assert (top["runbook_id"], top["n"], top["successes"], top["sites"]) == ("RB-A", 31, 30, 3)
    assert top["human_review_share"] == 1.0  # confidence 0.6 < 0.7: every one needed a person
    # 31 decisions over 30 days: about 31 a month, each saving $0.002 and 3 s of L2.
    assert top["monthly_decisions"] == pytest.approx(31.0)
    assert top["monthly_cost_usd"] == pytest.approx(0.062)
    assert top["monthly_latency_s"] == pytest.approx(93.0)
    assert len(set(frame["pattern_signature"])) == 2  # the hostnames and IPs never split a signature


def test_mine_without_times_leaves_monthly_figures_null(tmp_path: Path) -> None:
    history = History()
    history.add(check_type="smb_signing", platform="windows", runbook_id="RB-A", n=6, successes=6, sites=SITES[:2])
    for line in history.lines:
        del line["decided_at"]
    _, frame = mined(history, tmp_path)
    row = frame.row(0, named=True)
    assert row["monthly_decisions"] is None and row["first_seen"] is None and row["n"] == 6


def _line(**changes) -> dict:
    line = {"decision_id": "d1", "site_id": "s1", "runbook_id": "RB-A", "confidence": 0.9, "success": True,
            "incident": {"check_type": "smb_signing", "platform": "windows", "details": {}}}
    line.update(changes)
    return line


@pytest.mark.parametrize(("text", "words"), [
    ("{not json\n", "line 1: invalid JSON"),
    ("[1, 2]\n", "line 1: expected a JSON object"),
    (json.dumps(_line(incident="smb")) + "\n", "line 1: incident must be an object"),
    (json.dumps(_line(success="yes")) + "\n", "line 1: success must be true or false"),
    (json.dumps(_line(confidence=1.5)) + "\n", "line 1: confidence 1.5 is outside"),
    (json.dumps(_line(confidence=None)) + "\n", "line 1: confidence is required"),
    (json.dumps(_line(site_id="")) + "\n", "line 1: site_id must be a non-empty string"),
    (json.dumps(_line(decided_at="yesterday")) + "\n", "line 1: decided_at 'yesterday' is not an ISO 8601"),
    ("\n" + json.dumps(_line()) + "\n" + json.dumps(_line()) + "\n", "line 3: decision_id 'd1' already on line 2"),
    (json.dumps(_line(incident={"check_type": "x", "platform": "windows", "details": [1]})) + "\n",
     "line 1: incident.details must be an object"),
    ("\n\n", "holds no decisions"),
])
def test_read_history_broken_input_names_the_problem(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(text)
    with pytest.raises(HistoryError, match=words.replace("(", r"\(").replace("[", r"\[")):
        mining.read_history(path)


def test_read_history_unreadable_or_not_utf8_is_a_history_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="cannot read history"):
        mining.read_history(tmp_path / "missing.jsonl")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(HistoryError, match="not UTF-8"):
        mining.read_history(path)


def test_read_history_signature_matches_the_contract(tmp_path: Path) -> None:
    from contracts.incidents import Incident

    history = History().add(check_type="smb_signing", platform="windows", runbook_id="RB-A", n=1, successes=1,
                            sites=SITES[:1], details={"profile": "domain"})
    frame = mining.read_history(history.write(tmp_path / "h.jsonl"))
    incident = history.lines[0]["incident"]
    expected = Incident(site_id="s", host="h", check_type="smb_signing", platform="windows",
                        details=incident["details"]).pattern_signature
    assert frame["pattern_signature"][0] == expected
    assert frame["requires_human_review"][0] is False
