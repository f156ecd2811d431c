"""Small helpers every command uses to speak to people and to scripts."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn


def emit_json(obj: Any) -> None:
    """Print one JSON document on one stdout line (what scripts parse)."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line saying what was wrong and exit non-zero."""
    first = message.splitlines()[0] if message else "failed"
    sys.stderr.write(f"error: {first}\n")
    sys.stderr.flush()
    raise SystemExit(code)
