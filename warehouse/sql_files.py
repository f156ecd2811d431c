"""Load SQL by name from `warehouse/sql/<area>/<name>.sql`, cached: queries live in files, not strings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from warehouse.errors import SqlNotFoundError

SQL_DIR = Path(__file__).parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of `warehouse/sql/<name>.sql` (`name` like "serving/site_get")."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents or not path.is_file():
        raise SqlNotFoundError(f"no SQL file named {name!r}")
    return path.read_text()
