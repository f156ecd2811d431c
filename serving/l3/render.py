"""What an escalation says, in words and colours shared by every channel."""

from __future__ import annotations

import json
from typing import Any

from contracts.incidents import Severity
from serving.l3.channels import Notice

COLOURS: dict[Severity, str] = {
    Severity.CRITICAL: "#B00020",
    Severity.HIGH: "#E8590C",
    Severity.MEDIUM: "#F2C94C",
    Severity.LOW: "#2F80ED",
}
"""Header colour per severity (hex), used by Slack, email and the Teams card style below."""
RESOLVED_COLOUR = "#2E7D32"

TEAMS_STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "attention",
    Severity.HIGH: "attention",
    Severity.MEDIUM: "warning",
    Severity.LOW: "accent",
}


def colour(notice: Notice) -> str:
    """The notice's colour: severity for a trigger, green once resolved."""
    return RESOLVED_COLOUR if resolved(notice) else COLOURS[notice.severity]


def resolved(notice: Notice) -> bool:
    """True for a resolve, and for the follow-up that tells chat and email the incident is resolved."""
    return notice.action == "resolve" or bool(notice.resolution)


def title(notice: Notice) -> str:
    """One line: what, where, how bad."""
    sev = notice.severity.value.upper()
    prefix = "[TEST] " if notice.test else ""
    if resolved(notice):
        return f"{prefix}Resolved: {notice.check_type} drift on {notice.host} ({notice.site_name})"
    if notice.action == "followup":
        return f"{prefix}Update [{sev}]: {notice.check_type} drift on {notice.host} ({notice.site_name})"
    return f"{prefix}[{sev}] {notice.check_type} drift on {notice.host} ({notice.site_name})"


def fields(notice: Notice) -> list[tuple[str, str]]:
    """The labelled facts every channel shows, in order."""
    out = [
        ("Site", notice.site_name),
        ("Device", notice.host),
        ("Check", notice.check_type),
        ("Severity", notice.severity.value),
        ("HIPAA controls", ", ".join(notice.hipaa_controls) or "none mapped"),
        ("Reason", notice.reason or "-"),
        ("Occurrences", str(notice.occurrences)),
        ("Incident", notice.incident_id),
    ]
    if notice.resolution:
        out.append(("Resolution", notice.resolution))
    return out


def details_text(notice: Notice, limit: int = 2500) -> str:
    """The drift details as indented JSON, clipped for chat messages."""
    text = json.dumps(notice.details, indent=2, sort_keys=True, default=str) if notice.details else "{}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(notice: Notice) -> str:
    """The whole notice as plain text (email's text part, and any channel's fallback)."""
    width = max(len(k) for k, _ in fields(notice))
    lines = [title(notice), "=" * len(title(notice)), ""]
    lines += [f"{k.ljust(width)}  {v}" for k, v in fields(notice)]
    lines += ["", "Drift details:", details_text(notice, 20_000)]
    if notice.link:
        lines += ["", f"Open in Osiris: {notice.link}"]
    lines += ["", f"Dedup key: {notice.dedup_key}"]
    return "\n".join(lines) + "\n"


def custom_details(notice: Notice) -> dict[str, Any]:
    """Structured facts for receivers that keep them (PagerDuty `custom_details`)."""
    return {
        "site": notice.site_name,
        "site_id": notice.site_id,
        "device": notice.host,
        "check_type": notice.check_type,
        "hipaa_controls": notice.hipaa_controls,
        "reason": notice.reason,
        "occurrences": notice.occurrences,
        "incident_id": notice.incident_id,
        "escalation_id": notice.escalation_id,
        "drift": notice.details,
        **({"link": notice.link} if notice.link else {}),
    }
