"""Slack incoming webhook: a coloured attachment of Block Kit sections; Slack answers 200 `ok`."""

from __future__ import annotations

from typing import Any

import httpx

from serving.l3 import render
from serving.l3.channels import Attempt, Channel, Notice
from serving.l3.channels._http import post_json


def payload(notice: Notice) -> dict[str, Any]:
    """The webhook body: `text` (notifications and fallback) plus a severity-coloured attachment."""
    facts = [{"type": "mrkdwn", "text": f"*{k}*\n{_escape(v)}"} for k, v in render.fields(notice)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": render.title(notice)[:150]}},
        # Slack allows at most 10 fields per section.
        {"type": "section", "fields": facts[:10]},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": "*Drift details*\n```" + render.details_text(notice) + "```"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"dedup key `{notice.dedup_key}`"}]},
    ]
    if notice.link:
        blocks.insert(3, {"type": "section", "text": {"type": "mrkdwn", "text": f"<{notice.link}|Open in Osiris>"}})
    return {"text": render.title(notice), "attachments": [{"color": render.colour(notice), "blocks": blocks}]}


def _escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel(Channel):
    """Posts to one Slack incoming webhook."""

    name = "slack"

    def __init__(self, client: httpx.AsyncClient, webhook_url: str):
        self._client = client
        self._url = webhook_url

    async def send(self, notice: Notice) -> Attempt:
        """POST the message; Slack's 4xx bodies (`invalid_payload`, `no_service`) are kept as the response."""
        return await post_json(self._client, self.name, self._url, payload(notice), accept=(200,))
