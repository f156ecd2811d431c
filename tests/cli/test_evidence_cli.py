"""`osiris evidence verify` as a script sees it: real processes, JSON last line, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warehouse.evidence.bitcoind_server import FakeBitcoind
from tests.warehouse.evidence.calendar_server import LocalCalendar
from tests.warehouse.evidence.site import build_site

REPO = Path(__file__).resolve().parents[2]


def osiris(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_failed(result: subprocess.CompletedProcess[str], *words: str) -> dict:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
    doc = last_json(result)
    assert doc["verified"] is False
    return doc


@pytest.fixture(scope="module")
def ots(shared_data: Path) -> Path:
    return shared_data / "ots"


def test_cli_verify_hello_world_exit_0(ots):
    result = osiris("evidence", "verify", ots / "hello-world.txt", "--ots", ots / "hello-world.txt.ots",
                    "--headers", ots / "block_headers.json")
    assert result.returncode == 0, result.stderr
    doc = last_json(result)
    assert doc["verified"] is True
    (att,) = doc["attestations"]
    assert (att["chain"], att["height"], att["time"]) == ("bitcoin", 358391, 1432827678)
    assert (doc["height"], doc["time"]) == (358391, 1432827678)
    assert result.stderr == ""


def test_cli_verify_json_only_prints_one_line(ots):
    result = osiris("evidence", "verify", ots / "hello-world.txt", "--headers", ots / "block_headers.json", "--json")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1


def test_cli_verify_bad_stamp_exit_1(ots):
    doc = assert_failed(osiris("evidence", "verify", ots / "bad-stamp.txt", "--headers", ots / "block_headers.json"),
                        "merkle root")
    assert doc["error"] == "AttestationMismatchError"


def test_cli_verify_pending_exit_1(ots):
    doc = assert_failed(osiris("evidence", "verify", ots / "incomplete.txt", "--headers", ots / "block_headers.json"),
                        "pending")
    assert doc["status"] == "pending"


def test_cli_verify_missing_header_names_height(ots):
    doc = assert_failed(osiris("evidence", "verify", ots / "empty", "--ots", ots / "empty.ots",
                               "--headers", ots / "block_headers.json"), "129405")
    assert doc["attestations"][0]["merkleroot"].startswith("db29fdc2")


def test_cli_verify_invalid_proof_exit_1(ots):
    doc = assert_failed(osiris("evidence", "verify", ots / "empty", "--ots", ots / "invalid/bad-major-version.ots",
                               "--headers", ots / "block_headers.json"), "major version 1151")
    assert doc["error"] == "UnsupportedVersionError"


def test_cli_verify_flipped_file_exit_1(ots, tmp_path):
    data = bytearray((ots / "hello-world.txt").read_bytes())
    data[0] ^= 1
    (tmp_path / "hello-world.txt").write_bytes(bytes(data))
    assert_failed(osiris("evidence", "verify", tmp_path / "hello-world.txt", "--ots", ots / "hello-world.txt.ots",
                         "--headers", ots / "block_headers.json"), "does not match")


def test_cli_verify_flipped_header_exit_1(ots, tmp_path):
    doc = json.loads((ots / "block_headers.json").read_text())
    raw = bytearray.fromhex(doc["358391"]["header_hex"])
    raw[79] ^= 1  # the nonce: the header no longer hashes to its block
    doc["358391"]["header_hex"] = raw.hex()
    (tmp_path / "h.json").write_text(json.dumps(doc))
    assert_failed(osiris("evidence", "verify", ots / "hello-world.txt", "--headers", tmp_path / "h.json"),
                  "untrusted header")


@pytest.mark.parametrize("args", [("--ots", "/nonexistent.ots"), ("--headers", "/nonexistent.json")])
def test_cli_verify_missing_inputs_exit_1(ots, args):
    assert_failed(osiris("evidence", "verify", ots / "hello-world.txt", *args))


def test_cli_verify_package_end_to_end(tmp_path):
    with LocalCalendar() as calendar:
        site = build_site(calendar, confirmed=4, pending=0, unanchored=0)
    pkg = site.write(tmp_path / "pkg")
    (tmp_path / "headers.json").write_text(json.dumps(site.headers))
    ok = osiris("evidence", "verify", pkg, "--headers", tmp_path / "headers.json", "--network", "regtest")
    assert ok.returncode == 0, ok.stderr
    assert "bundle-0 (seq 0): verified, Bitcoin block 900000" in ok.stdout
    assert last_json(ok)["counts"] == {"verified": 4}
    # the same header by mainnet rules is a fabrication
    assert_failed(osiris("evidence", "verify", pkg, "--headers", tmp_path / "headers.json"), "minimum difficulty")
    (pkg / "bundles/00000001.json").unlink()
    doc = assert_failed(osiris("evidence", "verify", pkg, "--headers", tmp_path / "headers.json",
                               "--network", "regtest", "--json"), "bundle-1")
    failed = {b["bundle_id"] for b in doc["bundles"] if b["status"] == "failed"}
    assert failed == {"bundle-1", "bundle-2"}


@pytest.mark.parametrize(("args", "words"), [(["--site", "s1"], "not a site id"),
                                            (["--site", "00000000-0000-4000-8000-000000000000", "--since", "soon"],
                                             "--since is not a date")])
def test_cli_export_bad_arguments_one_line(args, words):
    result = osiris("evidence", "export", *args)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and words in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_verify_headers_from_bitcoind(ots, monkeypatch):
    node = FakeBitcoind(json.loads((ots / "block_headers.json").read_text()))
    try:
        monkeypatch.setenv("OSIRIS_BITCOIND_URL", node.url)
        result = osiris("evidence", "verify", ots / "hello-world.txt")
        assert result.returncode == 0, result.stderr
        assert last_json(result)["height"] == 358391
        assert "s3cret" not in result.stdout + result.stderr
    finally:
        node.close()
