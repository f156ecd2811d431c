"""Row helpers shared by every Postgres caller: ids in, plain dicts out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from warehouse.errors import InvalidIdError


def _uid(value: Any, what: str = "id") -> uuid.UUID:
    """A UUID from a path or body value; garbage raises InvalidIdError (HTTP 400), never a 500."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidIdError(f"{what} is not a valid UUID: {str(value)[:64]!r}") from exc


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _row_dict(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A record as a dict with UUIDs as text (JSON-ready), or None."""
    if row is None:
        return None
    return {k: _plain(v) for k, v in row.items()}


def _rows_list(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records as a list of dicts."""
    return [_row_dict(r) for r in rows]  # type: ignore[misc]
