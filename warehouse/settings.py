"""Where Osiris keeps its files: `$OSIRIS_HOME` (default `~/.osiris`)."""

from __future__ import annotations

import os
from pathlib import Path


def osiris_home() -> Path:
    """The data directory, created on first use with owner-only access."""
    home = Path(os.environ.get("OSIRIS_HOME") or Path.home() / ".osiris").expanduser()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def reference_data_dir() -> Path | None:
    """The reference data (NVD, OSCAL, HIPAA, OTS) shipped beside the checkout, if it can be found.

    `$OSIRIS_SHARED_DATA` wins; otherwise `../shared/data` next to the checkout, then the
    workplace's usual location.
    """
    repo = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get("OSIRIS_SHARED_DATA"), repo.parent / "shared" / "data", "/work/shared/data"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None
