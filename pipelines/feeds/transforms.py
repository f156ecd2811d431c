"""Pure helpers of the feeds domain: baseline rows, and checks of the reference data against itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def baseline_rows(selections: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
    """`{"LOW": [ids…], …}` as `(baseline, control_id)` rows, in the profiles' order."""
    return [{"baseline": name, "control_id": cid} for name, ids in selections.items() for cid in ids]


def unknown_controls(rows: Iterable[Mapping[str, Any]], catalog_ids: set[str]) -> list[dict[str, Any]]:
    """The rows whose `control_id` the catalog does not hold (what a failing check lists)."""
    return [dict(r) for r in rows if r["control_id"] not in catalog_ids]
