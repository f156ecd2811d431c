"""`osiris phi scrub` through the real entry point, as scripts call it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("osiris")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cli.main"]

TICKET = (
    "INC0048213 Patient: Maria Gonzalez, DOB: 04/12/1965, called from 217-555-0134.\n"
    "RDP from 10.0.0.5 failed; retry from 10.0.0.5 blocked.\r\n"
    "Event ID 4625 on WS-FRONT-01, KB5034441 pending"
)


def phi(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*COMMAND, "phi", "scrub", *args], input=stdin, cwd=REPO, capture_output=True, timeout=60
    )


def test_phi_scrub_stdin_to_stdout_text() -> None:
    result = phi(stdin=TICKET.encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == (
        "INC0048213 Patient: [NAME_1], DOB: [DOB_1], called from [PHONE_1].\n"
        "RDP from [IP_1] failed; retry from [IP_1] blocked.\r\n"
        "Event ID 4625 on WS-FRONT-01, KB5034441 pending"
    )


def test_phi_scrub_json_contract_offsets_into_input() -> None:
    text = "Tomás Álvarez? no: Patient: Tomás Álvarez at 10.0.0.5"
    result = phi("--json", stdin=text.encode())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"text", "findings"}
    assert out["text"] == "Tomás Álvarez? no: Patient: [NAME_1] at [IP_1]"
    for f in out["findings"]:
        assert set(f) == {"category", "placeholder", "start", "end"}
    # Offsets count characters of the input, not bytes of its UTF-8.
    assert [(f["category"], text[f["start"] : f["end"]]) for f in out["findings"]] == [
        ("person_name", "Tomás Álvarez"),
        ("ip_address", "10.0.0.5"),
    ]


def test_phi_scrub_lines_output_line_for_line_shared_placeholders() -> None:
    result = phi("--lines", stdin=TICKET.encode())
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    # Same line count and line endings, no newline added after the last line.
    assert [line[-2:] for line in out.splitlines(keepends=True)][:2] == [".\n", "\r\n"]
    assert out.count("\n") == TICKET.count("\n") and not out.endswith("\n")
    assert out.splitlines()[1] == "RDP from [IP_1] failed; retry from [IP_1] blocked."
    assert "10.0.0.5" not in out and "Maria" not in out


def test_phi_scrub_lines_json_one_object_per_line() -> None:
    result = phi("--lines", "--json", stdin=b"ssh from 10.0.0.9\n\nMRN: 00482913 at 10.0.0.9\n")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert objects == [
        {
            "text": "ssh from [IP_1]",
            "findings": [{"category": "ip_address", "placeholder": "[IP_1]", "start": 9, "end": 17}],
        },
        {"text": "", "findings": []},
        {
            "text": "MRN: [MRN_1] at [IP_1]",
            "findings": [
                {"category": "mrn", "placeholder": "[MRN_1]", "start": 5, "end": 13},
                {"category": "ip_address", "placeholder": "[IP_1]", "start": 17, "end": 25},
            ],
        },
    ]


def test_phi_scrub_empty_input_empty_output() -> None:
    result = phi(stdin=b"")
    assert result.returncode == 0 and result.stdout == b""
    result = phi("--json", stdin=b"")
    assert json.loads(result.stdout) == {"text": "", "findings": []}


def test_phi_scrub_non_utf8_input_one_line_error_exit_1() -> None:
    for args in ((), ("--json",), ("--lines",)):
        result = phi(*args, stdin=b"Patient: Jane Doe\n\xff\xfe broken\n")
        assert result.returncode == 1
        stderr = result.stderr.decode()
        assert stderr.count("\n") == 1 and "not valid UTF-8" in stderr and "Traceback" not in stderr
        assert b"Jane" not in result.stdout  # nothing unscrubbed ever reaches stdout


def test_phi_scrub_lines_non_utf8_names_the_line() -> None:
    result = phi("--lines", stdin=b"ok 10.0.0.1\n\xc3\x28\n")
    assert result.returncode == 1
    assert result.stdout.decode() == "ok [IP_1]\n"
    assert result.stderr.decode().startswith("error: line 2 is not valid UTF-8")
