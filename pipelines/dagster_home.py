"""A DAGSTER_HOME for Osiris: `$OSIRIS_HOME/dagster` with a `dagster.yaml` that turns telemetry off.

Without one Dagster writes under `~/.dagster` and phones home; the CLI points `DAGSTER_HOME` here
when it is unset, and `dagster dev` users can export the same path.
"""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.settings import osiris_home

DAGSTER_YAML = """\
# Written by Osiris (pipelines/dagster_home.py); edit freely, it is only created when missing.
telemetry:
  enabled: false
# DuckDB takes one writer and every Osiris run writes the warehouse: the daemon starts queued
# runs (schedules, the sensor, UI launches) one at a time. `osiris pipelines` runs in-process and
# waits for the file lock instead.
run_queue:
  max_concurrent_runs: 1
"""


def ensure_dagster_home(path: Path | None = None) -> Path:
    """Create the directory and its `dagster.yaml` when missing; returns the directory."""
    home = Path(path) if path else osiris_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        tmp = config.with_suffix(f".yaml.tmp-{os.getpid()}")
        tmp.write_text(DAGSTER_YAML)
        os.replace(tmp, config)
    return home


def use_dagster_home() -> Path:
    """Point `DAGSTER_HOME` at Osiris's own home unless the caller already chose one; returns it.

    A chosen home gets a `dagster.yaml` too when it has none, so telemetry is off either way.
    """
    chosen = os.environ.get("DAGSTER_HOME")
    home = ensure_dagster_home(Path(chosen) if chosen else None)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
