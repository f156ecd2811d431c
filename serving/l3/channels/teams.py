"""Microsoft Teams webhook (Workflows / incoming webhook): one Adaptive Card, styled by severity."""

from __future__ import annotations

from typing import Any

import httpx

from serving.l3 import render
from serving.l3.channels import Attempt, Channel, Notice
from serving.l3.channels._http import post_json

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(notice: Notice) -> dict[str, Any]:
    """The Adaptive Card (version 1.4, what Teams renders)."""
    style = "good" if render.resolved(notice) else render.TEAMS_STYLES[notice.severity]
    body: list[dict[str, Any]] = [
        {"type": "Container", "style": style, "bleed": True, "items": [
            {"type": "TextBlock", "text": render.title(notice), "weight": "Bolder", "size": "Medium", "wrap": True},
        ]},
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in render.fields(notice)]},
        {"type": "TextBlock", "text": "Drift details", "weight": "Bolder", "spacing": "Medium"},
        {"type": "TextBlock", "text": render.details_text(notice), "fontType": "Monospace", "wrap": True},
        {"type": "TextBlock", "text": f"Dedup key: {notice.dedup_key}", "isSubtle": True, "size": "Small"},
    ]
    out: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body,
                           "msteams": {"width": "Full"}}
    if notice.link:
        out["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Osiris", "url": notice.link}]
    return out


def payload(notice: Notice) -> dict[str, Any]:
    """The webhook body: a message with the card as its one attachment."""
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(notice)},
    ]}


class TeamsChannel(Channel):
    """Posts to one Teams webhook (Workflows answers 202, classic connectors 200)."""

    name = "teams"

    def __init__(self, client: httpx.AsyncClient, webhook_url: str):
        self._client = client
        self._url = webhook_url

    async def send(self, notice: Notice) -> Attempt:
        """POST the card."""
        return await post_json(self._client, self.name, self._url, payload(notice), accept=(200, 202))
