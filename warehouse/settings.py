"""Where Osiris keeps its files: `$OSIRIS_HOME` (default `~/.osiris`)."""

from __future__ import annotations

import os
from pathlib import Path


def osiris_home() -> Path:
    """The data directory, created on first use with owner-only access."""
    home = Path(os.environ.get("OSIRIS_HOME") or Path.home() / ".osiris").expanduser()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home
