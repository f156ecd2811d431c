"""DAGSTER_HOME: Osiris's own, with telemetry off, created only when missing."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.dagster_home import ensure_dagster_home, use_dagster_home


def test_ensure_dagster_home_writes_telemetry_off(tmp_path: Path):
    home = ensure_dagster_home(tmp_path / "dagster")
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["run_queue"]["max_concurrent_runs"] == 1


def test_ensure_dagster_home_keeps_existing_config(tmp_path: Path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n# mine\n")
    ensure_dagster_home(tmp_path)
    assert (tmp_path / "dagster.yaml").read_text().endswith("# mine\n")


def test_use_dagster_home_unset_points_under_osiris_home(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("OSIRIS_HOME", str(tmp_path))
    home = use_dagster_home()
    assert home == tmp_path / "dagster"
    assert (home / "dagster.yaml").is_file()
    import os

    assert os.environ["DAGSTER_HOME"] == str(home)


def test_use_dagster_home_respects_callers_choice(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "theirs"))
    assert use_dagster_home() == tmp_path / "theirs"
    assert (tmp_path / "theirs" / "dagster.yaml").is_file()


def test_dagster_instance_from_home_has_telemetry_off(tmp_path: Path, monkeypatch):
    from dagster import DagsterInstance

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    use_dagster_home()
    with DagsterInstance.get() as instance:
        assert instance.telemetry_enabled is False
