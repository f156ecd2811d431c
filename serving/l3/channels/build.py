"""Building a channel by name from the settings (its credential must be configured)."""

from __future__ import annotations

import httpx

from serving.errors import Conflict
from serving.l3.channels import Channel
from serving.l3.settings import L3Settings


class ChannelNotConfigured(Conflict):
    """The named channel has no credential in the settings, or is not a channel at all (HTTP 409)."""


def build(name: str, settings: L3Settings, client: httpx.AsyncClient) -> Channel:
    """The channel `name` with its settings; ChannelNotConfigured when its credential is missing."""
    if name not in settings.configured():
        raise ChannelNotConfigured(f"channel {name!r} is not configured (see the OSIRIS_L3_* settings)")
    if name == "slack":
        from serving.l3.channels.slack import SlackChannel

        return SlackChannel(client, settings.slack_webhook_url.get_secret_value())  # type: ignore[union-attr]
    if name == "teams":
        from serving.l3.channels.teams import TeamsChannel

        return TeamsChannel(client, settings.teams_webhook_url.get_secret_value())  # type: ignore[union-attr]
    if name == "pagerduty":
        from serving.l3.channels.pagerduty import PagerDutyChannel

        key = settings.pagerduty_routing_key.get_secret_value()  # type: ignore[union-attr]
        return PagerDutyChannel(client, key, settings.pagerduty_events_url)
    from serving.l3.channels.email import EmailChannel

    return EmailChannel(settings)
