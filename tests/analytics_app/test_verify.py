"""The Evidence page's verifier gives the verdict `osiris evidence verify --json` gives, on the real
OpenTimestamps examples and on an export package stamped through a local calendar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics_app import verify
from tests.warehouse.evidence.calendar_server import LocalCalendar
from tests.warehouse.evidence.site import build_site

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str | Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "cli.main", "evidence", "verify", *map(str, args), "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["hello-world.txt", "bad-stamp.txt", "incomplete.txt"])
def test_verify_ots_examples_match_cli(shared_data, name):
    ots = shared_data / "ots"
    mine = verify.run(str(ots / name), headers=str(ots / "block_headers.json"))
    assert mine == _cli(ots / name, "--headers", ots / "block_headers.json")
    assert mine["verified"] is (name == "hello-world.txt")


def test_verify_package_matches_cli(tmp_path):
    with LocalCalendar() as calendar:
        site = build_site(calendar)  # 5 bundles confirmed in a regtest block, 1 pending, 1 not batched
    pkg = site.write(tmp_path / "pkg")
    headers = tmp_path / "headers.json"
    headers.write_text(json.dumps(site.headers))
    mine = verify.run(str(pkg), headers=str(headers), network="regtest")
    assert mine == _cli(pkg, "--headers", headers, "--network", "regtest")
    assert mine["counts"] == {"verified": 5, "pending": 1, "unanchored": 1}
    assert mine["verified"] is False and mine["reason"].startswith("bundle bundle-5 is pending")


def test_verify_bad_headers_file_is_a_verdict_not_an_error(tmp_path, shared_data):
    broken = tmp_path / "headers.json"
    broken.write_text("{not json")
    verdict = verify.run(str(shared_data / "ots" / "hello-world.txt"), headers=str(broken))
    assert verdict["verified"] is False and verdict["error"] == "HeadersFileError"


def test_verify_empty_target_says_what_to_give():
    assert verify.run("  ")["reason"] == "give a stamped file or an export package"


def test_verify_unknown_network_refused(shared_data):
    verdict = verify.run(str(shared_data / "ots" / "hello-world.txt"), network="moonnet")
    assert "unknown network 'moonnet'" in verdict["reason"]
