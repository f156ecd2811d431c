"""`osiris oscal summary` on the real NIST catalog and baselines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def osiris(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_oscal_summary_catalog_counts(shared_data: Path) -> None:
    result = osiris("oscal", "summary", shared_data / "oscal" / "NIST_SP-800-53_rev5_catalog.json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"groups": 20, "controls": 322, "enhancements": 867,
                                                          "withdrawn": 182}


@pytest.mark.parametrize(("profile", "selected", "enhancements"), [
    ("NIST_SP-800-53_rev5_LOW-baseline_profile.json", 149, 18),
    ("rev5.1.1/NIST_SP-800-53_rev5_HIGH-baseline_profile.json", 370, 182),
])
def test_oscal_summary_with_profile_selected(shared_data: Path, profile: str, selected: int, enhancements: int) -> None:
    result = osiris("oscal", "summary", shared_data / "oscal" / "NIST_SP-800-53_rev5_catalog.json",
                    "--profile", shared_data / "oscal" / profile)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["groups"] == 20 and out["selected"] == selected
    assert out["selected_enhancements"] == enhancements and out["missing"] == []


def test_oscal_summary_not_a_catalog_one_line_error(shared_data: Path) -> None:
    result = osiris("oscal", "summary", shared_data / "oscal" / "NIST_SP-800-53_rev5_LOW-baseline_profile.json")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "not an OSCAL catalog" in result.stderr


def test_oscal_summary_unresolvable_profile_one_line_error(shared_data: Path, tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"profile": {"imports": [{"href": "elsewhere.json", "include-all": {}}]}}))
    result = osiris("oscal", "summary", shared_data / "oscal" / "NIST_SP-800-53_rev5_catalog.json",
                    "--profile", profile)
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "cannot resolve import" in result.stderr
