"""The appliance's SQL: numbered migrations (`NNNN_slug.sql`) and named queries (`-- name: x` in `*.sql`)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_NAME = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, script) for every migration, in order."""
    out = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        match = _MIGRATION.match(path.name)
        if match:
            out.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    return out


@lru_cache(maxsize=1)
def _queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        if _MIGRATION.match(path.name):
            continue
        parts = _NAME.split(path.read_text(encoding="utf-8"))
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in queries:
                raise ValueError(f"query {name!r} defined twice (in {path.name})")
            queries[name] = body.strip()
    return queries


def sql(name: str) -> str:
    """The named query's text (raises KeyError naming an unknown query)."""
    try:
        return _queries()[name]
    except KeyError:
        raise KeyError(f"no SQL query named {name!r} in {SQL_DIR}") from None
