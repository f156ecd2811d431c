"""`osiris cve match` as a script sees it: real process, JSON lines out, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "cve"


def osiris(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]


def test_cve_match_jsonl_fixture_inventory_lines(shared_data: Path) -> None:
    result = osiris("cve", "match", "--cves", shared_data / "nvd" / "cves.jsonl",
                    "--inventory", VECTORS / "inventory_nvd_semantics.csv")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(set(r) == {"device_id", "cve_id", "cpe", "cvss"} for r in rows)
    pairs = {(r["device_id"], r["cve_id"]) for r in rows}
    assert ("heartbleed-1.0.1f", "CVE-2014-0160") in pairs
    assert ("patched-1.0.1g", "CVE-2014-0160") not in pairs
    assert ("firefox-44.0.2-on-windows", "CVE-2016-1970") in pairs
    assert ("firefox-44.0.2-on-linux", "CVE-2016-1970") not in pairs
    heartbleed = next(r for r in rows if r["cve_id"] == "CVE-2014-0160")
    assert heartbleed["cvss"] == 7.5


def test_cve_match_api_response_file(shared_data: Path, tmp_path: Path) -> None:
    # CVE-2023-4863 (libwebp, in Chrome): a one-record API response.
    inventory = tmp_path / "inv.csv"
    inventory.write_text("device_id,cpe\nws-1,cpe:2.3:a:google:chrome:116.0.5845.180:*:*:*:*:*:*:*\n"
                         "ws-2,cpe:2.3:a:google:chrome:116.0.5845.187:*:*:*:*:*:*:*\n")
    result = osiris("cve", "match", "--cves", shared_data / "nvd" / "api_responses" / "osv.dev_CVE-2023-4863.json",
                    "--inventory", inventory)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["device_id"], r["cve_id"]) for r in rows] == [("ws-1", "CVE-2023-4863")]


@pytest.mark.parametrize(
    ("vector", "words"),
    [("inventory_missing_cpe_column.csv", "device_id and cpe"), ("inventory_bad_cpe_on_line_3.csv", "line 3")],
)
def test_cve_match_bad_inventory_one_line_error(shared_data: Path, vector: str, words: str) -> None:
    result = osiris("cve", "match", "--cves", shared_data / "nvd" / "api_responses" / "nvd-go_cves-CVE-2023-0001.json",
                    "--inventory", VECTORS / vector)
    assert_one_line_error(result, words)
    assert result.returncode == 1


def test_cve_match_broken_cves_one_line_error(tmp_path: Path) -> None:
    cves = tmp_path / "cves.json"
    cves.write_text('{"vulnerabilities": [')
    result = osiris("cve", "match", "--cves", cves, "--inventory", VECTORS / "inventory_nvd_semantics.csv")
    assert_one_line_error(result, "invalid JSON")
    assert result.returncode == 1


def test_cve_match_missing_option_usage_error_exit_2() -> None:
    # Usage errors are formatted by cli/main.py; here only the code and the absence of a traceback.
    result = osiris("cve", "match", "--inventory", VECTORS / "inventory_nvd_semantics.csv")
    assert result.returncode == 2 and result.stdout == ""
    assert "--cves" in result.stderr and "Traceback" not in result.stderr
