"""`osiris agent status`: what the appliance's store says, read without contacting Central Command."""

from __future__ import annotations

import time
from typing import Any

from agent.errors import StoreError
from agent.outbox import Outbox
from agent.settings import AgentSettings
from agent.store import Store

MAX_LISTED = 50


def read_status(settings: AgentSettings) -> dict[str, Any]:
    """Last check-in, bundle, outbox, open incidents, suppressions and breakers, as one JSON-ready dict."""
    if not settings.db_path.exists():
        raise StoreError(f"no agent store at {settings.db_path}: the agent has not run here yet")
    store = Store(settings.db_path)
    try:
        now = time.time()
        bundle = store.bundle()
        incidents = store.open_incidents()
        return {
            "site_id": settings.site_id or None,
            "appliance_id": store.get("appliance_id"),
            "last_checkin_at": store.get("last_checkin_at"),
            "dry_run": settings.dry_run,
            "schema_version": store.schema_version,
            "bundle": {
                "version": bundle["version"] if bundle else 0,
                "digest": bundle["digest"] if bundle else None,
                "expires_at": bundle["expires_at"] if bundle else None,
                "verified_at": bundle["verified_at"] if bundle else None,
                "last_refused": store.get("bundle_refused_reason"),
            },
            "promoted_rules": len(store.promoted_rules()),
            "outbox": Outbox(store, max_events=settings.outbox_max_events).status(),
            "open_incidents": {
                "count": len(incidents),
                "items": [
                    {"incident_id": r["incident_id"], "host": r["host"], "check_type": r["check_type"],
                     "status": r["status"], "tier": r["tier"], "opened_at": r["opened_at"]}
                    for r in incidents[:MAX_LISTED]
                ],
            },
            "suppressions": [
                {"host": r["host"], "check_type": r["check_type"], "heals": r["heals"],
                 "until_seconds": round(r["until"] - now)}
                for r in store.suppressions(now)
            ],
            "open_breakers": [
                {"target": r["target"], "runbook_id": r["runbook_id"], "failures": r["failures"],
                 "until_seconds": round(r["open_until"] - now)}
                for r in store.open_breakers(now)
            ],
            "targets": [{"host": r["host"], "platform": r["platform"], "port": r["port"]} for r in store.targets()],
        }
    finally:
        store.close()
