"""The demo's workspace: wiped between runs, but never a directory the demo did not make."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.demo.run import DEMO_MARKER, prepare_home


@pytest.fixture(autouse=True)
def _keep_env(monkeypatch):
    for name in ("OSIRIS_HOME", "DATABASE_URL", "DAGSTER_HOME"):
        monkeypatch.setenv(name, os.environ.get(name, ""))


def test_prepare_home_foreign_directory_refused_and_untouched(tmp_path: Path):
    precious = tmp_path / "notes.txt"
    precious.write_text("keep me")
    with pytest.raises(RuntimeError, match="not a demo workspace"):
        prepare_home(tmp_path)
    assert precious.read_text() == "keep me"


def test_prepare_home_previous_demo_wiped(tmp_path: Path):
    home = tmp_path / "demo"
    prepare_home(home)
    (home / "leftover").write_text("x")
    prepare_home(home)
    assert sorted(p.name for p in home.iterdir()) == [DEMO_MARKER]
    assert os.environ["OSIRIS_HOME"] == str(home)
    assert "DATABASE_URL" not in os.environ
