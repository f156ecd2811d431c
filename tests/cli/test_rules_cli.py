"""`osiris rules eval | sign | verify` as a script sees them: real processes, exit codes, one-line errors."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors" / "rules"
SEED = VECTORS / "seed_firewall.json"


def osiris(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real key pairs: the trusted one, and another that signs what must be refused."""
    root = tmp_path_factory.mktemp("keys")
    for name in ("trusted", "other"):
        result = osiris("keys", "generate", "--out", root / name)
        assert result.returncode == 0, result.stderr
    return {
        "key": root / "trusted" / "signing.key",
        "pub": root / "trusted" / "signing.pub",
        "other_key": root / "other" / "signing.key",
    }


def sign(tmp_path: Path, key: Path, *extra: str, version: int = 5) -> Path:
    out = tmp_path / "bundle.json"
    result = osiris(
        "rules", "sign", "--rules", SEED, "--key", key, "--version", str(version), "--out", out, *extra
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["rules"] == 1
    return out


# --- eval -----------------------------------------------------------------------------------------


def test_eval_seed_rule_windows_gives_runbook_and_nixos_no_match(tmp_path: Path) -> None:
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text(
        '{"check_type": "firewall_status", "platform": "windows", "site_id": "s1"}\n'
        "\n"
        '{"check_type": "firewall_status", "platform": "nixos"}\n'
    )
    result = osiris("rules", "eval", "--rules", SEED, "--incident", incidents)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {
            "matched": True,
            "rule_id": "L1-FIREWALL-001",
            "action": "execute_runbook",
            "runbook_id": "RB-WIN-FIREWALL-001",
        },
        {"matched": False},
    ]


def test_eval_single_pretty_printed_object_gives_one_line(tmp_path: Path) -> None:
    incident = tmp_path / "incident.json"
    incident.write_text(json.dumps({"check_type": "firewall_status", "platform": "windows"}, indent=2))
    result = osiris("rules", "eval", "--rules", SEED, "--incident", incident)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["runbook_id"] == "RB-WIN-FIREWALL-001"


def test_eval_yaml_rules_accepted(tmp_path: Path) -> None:
    incident = tmp_path / "incident.json"
    incident.write_text('{"check_type": "audit_policy", "platform": "windows"}')
    result = osiris("rules", "eval", "--rules", VECTORS / "valid_nested_groups.yaml", "--incident", incident)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rule_id"] == "L1-AUDIT-001"


@pytest.mark.parametrize(
    ("vector", "words"),
    [
        ("invalid_unknown_operator.json", ("L1-BAD-OP", "conditions[1].any[2]", "equals")),
        ("invalid_bad_regex.yaml", ("L1-BAD-REGEX", "conditions[1]")),
        ("invalid_missing_runbook.yaml", ("L1-NO-RUNBOOK", "runbook_id")),
        ("invalid_not_a_document.yaml", ("neither JSON nor YAML",)),
    ],
)
def test_eval_invalid_rule_set_exits_2_naming_rule(
    tmp_path: Path, vector: str, words: tuple[str, ...]
) -> None:
    incident = tmp_path / "incident.json"
    incident.write_text('{"check_type": "x"}')
    result = osiris("rules", "eval", "--rules", VECTORS / vector, "--incident", incident)
    assert_one_line_error(result, 2, "invalid rule set", *words)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"check_type": "x"}\n{"check_type": \n', ("line 2", "invalid JSON")),
        ('{"check_type": "x"}\n\n[1, 2]\n', ("line 3", "JSON object")),
        ("", ("no incidents",)),
    ],
)
def test_eval_bad_incident_line_exits_1_naming_line(
    tmp_path: Path, content: str, words: tuple[str, ...]
) -> None:
    incidents = tmp_path / "incidents.jsonl"
    incidents.write_text(content)
    result = osiris("rules", "eval", "--rules", SEED, "--incident", incidents)
    assert_one_line_error(result, 1, *words)


# --- sign / verify ---------------------------------------------------------------------------------


def test_sign_then_verify_accepts_bundle(tmp_path: Path, keys: dict[str, Path]) -> None:
    bundle = sign(tmp_path, keys["key"])
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"], "--min-version", "5")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"valid": True, "version": 5, "rules": 1}


def test_sign_invalid_rule_set_exits_2_and_writes_nothing(tmp_path: Path, keys: dict[str, Path]) -> None:
    out = tmp_path / "bundle.json"
    result = osiris(
        "rules", "sign", "--rules", VECTORS / "invalid_unknown_action.json",
        "--key", keys["key"], "--version", "1", "--out", out,
    )  # fmt: skip
    assert_one_line_error(result, 2, "L1-BAD-ACTION", "reboot")
    assert not out.exists()


def test_verify_one_payload_byte_changed_exits_1(tmp_path: Path, keys: dict[str, Path]) -> None:
    bundle = sign(tmp_path, keys["key"])
    envelope = json.loads(bundle.read_bytes())
    payload = bytearray(base64.b64decode(envelope["payload"]))
    at = payload.index(b"RB-WIN-FIREWALL-001")
    payload[at + 3] = ord("X")  # RB-XIN-...: still valid JSON, a different runbook
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    bundle.write_text(json.dumps(envelope))
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"])
    assert_one_line_error(result, 1, "bad signature")


def test_verify_signed_by_another_key_exits_1(tmp_path: Path, keys: dict[str, Path]) -> None:
    bundle = sign(tmp_path, keys["other_key"])
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"])
    assert_one_line_error(result, 1, "unknown key")


def test_verify_expired_bundle_exits_1(tmp_path: Path, keys: dict[str, Path]) -> None:
    bundle = sign(tmp_path, keys["key"], "--expires-in-days", "-1")
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"])
    assert_one_line_error(result, 1, "expired")


def test_verify_below_min_version_exits_1(tmp_path: Path, keys: dict[str, Path]) -> None:
    bundle = sign(tmp_path, keys["key"], version=5)
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"], "--min-version", "6")
    assert_one_line_error(result, 1, "version below minimum", "v5", "v6")


@pytest.mark.parametrize("content", [b"", b"not json", b'{"payloadType": "x"}', b"\xff\xfe"])
def test_verify_malformed_envelope_exits_1(tmp_path: Path, keys: dict[str, Path], content: bytes) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(content)
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"])
    assert_one_line_error(result, 1, "malformed envelope")


def test_verify_trusted_bundle_with_invalid_rules_exits_1(tmp_path: Path, keys: dict[str, Path]) -> None:
    from contracts.bundles import sign_bundle
    from contracts.envelope import load_signing_key

    bad_rules = json.loads((VECTORS / "invalid_unknown_operator.json").read_text())
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(
        sign_bundle(bad_rules, version=2, signing_key=load_signing_key(keys["key"].read_bytes()))
    )
    result = osiris("rules", "verify", bundle, "--pubkey", keys["pub"])
    assert_one_line_error(result, 1, "invalid rules", "L1-BAD-OP")
