"""Pure logic of the ingest checks: reconciliation, PHI findings and silent sites, over plain rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

MAX_LISTED = 50
"""A failing check lists at most this many offending rows (the count says how many there were)."""


def reconcile(pg_seqs: Iterable[int], raw_seqs: Iterable[int]) -> dict[str, list[int]]:
    """The `ingest_seq`s Postgres has that raw lacks (`missing`) and raw has that Postgres lost (`extra`)."""
    pg, raw = set(pg_seqs), set(raw_seqs)
    return {"missing": sorted(pg - raw), "extra": sorted(raw - pg)}


def phi_findings(rows: Iterable[Mapping[str, Any]], text_fields: tuple[str, ...],
                 detect: Callable[[str], list[str]], id_field: str = "decision_id") -> list[dict[str, Any]]:
    """Rows whose text fields hold PHI: their id, site, field and categories, never the text itself."""
    found = []
    for row in rows:
        for name in text_fields:
            text = row.get(name)
            categories = detect(text) if isinstance(text, str) and text else []
            if categories:
                found.append({id_field: row.get(id_field), "site_id": row.get("site_id"), "field": name,
                              "categories": categories})
    return found


def silent_sites(last_seen: Iterable[Mapping[str, Any]], now: datetime, max_age: timedelta) -> list[dict[str, Any]]:
    """Sites whose newest result is older than `max_age`, stalest first, with the hours of silence."""
    out = []
    for row in last_seen:
        age = now - row["last_observed_at"]
        if age > max_age:
            out.append({"site_id": row["site_id"], "last_observed_at": row["last_observed_at"].isoformat(),
                        "hours_silent": round(age.total_seconds() / 3600, 1)})
    return sorted(out, key=lambda r: -r["hours_silent"])
