"""PagerDuty Events API v2: `trigger` and `resolve` with the incident as `dedup_key` (202 when accepted)."""

from __future__ import annotations

from typing import Any

import httpx

from contracts.incidents import Severity
from serving.l3 import render
from serving.l3.channels import Attempt, Channel, Notice
from serving.l3.channels._http import post_json

# PagerDuty knows four severities: critical, error, warning, info.
SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "info",
}


def event(notice: Notice, routing_key: str) -> dict[str, Any]:
    """The Events v2 body. A follow-up re-sends the trigger: PagerDuty folds it into the open incident."""
    if notice.action == "resolve":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": notice.dedup_key}
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": notice.dedup_key,
        "payload": {
            "summary": render.title(notice)[:1024],
            "source": notice.host or notice.site_name,
            "severity": SEVERITY[notice.severity],
            "timestamp": notice.requested_at.isoformat(),
            "component": notice.check_type,
            "group": notice.site_name,
            "class": "configuration_drift",
            "custom_details": render.custom_details(notice),
        },
        "client": "Osiris Central Command",
    }
    if notice.link:
        body["client_url"] = notice.link
        body["links"] = [{"href": notice.link, "text": "Open in Osiris"}]
    return body


class PagerDutyChannel(Channel):
    """Sends events to one PagerDuty service (its integration's routing key)."""

    name = "pagerduty"

    def __init__(self, client: httpx.AsyncClient, routing_key: str, url: str):
        self._client = client
        self._key = routing_key
        self._url = url

    async def send(self, notice: Notice) -> Attempt:
        """POST the event; 202 is accepted, 400 is a permanent refusal, 429 and 5xx are retried."""
        return await post_json(self._client, self.name, self._url, event(notice, self._key), accept=(200, 202))
