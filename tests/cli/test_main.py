"""The `osiris` entry point: one-line failures with the right exit codes, and lazy command loading."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import osiris_cmd


def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*osiris_cmd(), *args], capture_output=True, text=True, timeout=60, **kw)


def test_help_lists_every_command_group():
    out = _run("--help")
    assert out.returncode == 0
    for name in ("demo", "serve", "rules", "phi", "agent", "evidence", "pipelines", "ui"):
        assert name in out.stdout


def test_missing_option_is_usage_error_exit_2():
    out = _run("rules", "eval")
    assert out.returncode == 2
    assert "Missing option" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_command_is_usage_error_exit_2():
    out = _run("teleport")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_unexpected_failure_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "nope.json"
    out = _run("rules", "eval", "--rules", str(missing), "--incident", str(missing))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_help_does_not_import_heavy_packages():
    code = (
        "import sys; from cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('dagster', 'streamlit', 'duckdb', 'polars', 'sklearn') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="
