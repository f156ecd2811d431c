"""`osiris escalate test --channel C`: send a test escalation to one configured L3 channel.

The channel is configured by the same `OSIRIS_L3_*` settings Central Command reads. One attempt, no
retries: the point is to see what the receiver answers. A PagerDuty test is resolved right after it
is triggered (unless `--keep-open`), so it does not page anyone for long.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import typer
from pydantic import ValidationError

from cli._output import emit_json, fail

app = typer.Typer(help="Send test escalations to L3 channels.", no_args_is_help=True, add_completion=False)

CHANNEL_NAMES = ("slack", "pagerduty", "email", "teams")


@app.callback()
def _group() -> None:
    """Send test escalations to L3 channels."""


def _notice(severity: str, action: str, dedup_key: str):
    from contracts.incidents import Severity
    from serving.l3.channels import Notice

    return Notice(
        action=action, dedup_key=dedup_key, escalation_id="test", site_id="test", site_name="Osiris channel test",
        incident_id=dedup_key, host="test-device", check_type="firewall_status", severity=Severity(severity),
        reason="test escalation sent by `osiris escalate test`; no action needed",
        requested_at=datetime.now(UTC), details={"test": True, "profile": "domain", "enabled": False},
        hipaa_controls=["164.312(a)(1)", "164.312(e)(1)"],
        resolution="test resolved automatically" if action != "trigger" else "", test=True,
    )


async def _send(channel: str, severity: str, keep_open: bool) -> list[dict[str, Any]]:
    import httpx

    from serving.l3.channels.build import build
    from serving.l3.settings import L3Settings

    settings = L3Settings()
    async with httpx.AsyncClient(timeout=settings.http_timeout_s) as client:
        ch = build(channel, settings, client)
        key = f"osiris-test-{uuid.uuid4()}"
        results = [await ch.send(_notice(severity, "trigger", key))]
        if channel == "pagerduty" and results[0].ok and not keep_open:
            results.append(await ch.send(_notice(severity, "resolve", key)))
        await ch.close()
    return [{**r.summary(), "action": action} for r, action in zip(results, ("trigger", "resolve"), strict=False)]


@app.command()
def test(
    channel: str = typer.Option(..., "--channel", help="slack, pagerduty, email or teams."),
    severity: str = typer.Option("high", "--severity", help="low, medium, high or critical."),
    keep_open: bool = typer.Option(False, "--keep-open", help="PagerDuty: do not resolve the test incident."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per attempt."),
) -> None:
    """Send one test escalation to a configured channel and print what the receiver answered."""
    from serving.errors import ServingError

    if channel not in CHANNEL_NAMES:
        fail(f"unknown channel {channel!r}; choose one of {', '.join(CHANNEL_NAMES)}", code=2)
    if severity not in ("low", "medium", "high", "critical"):
        fail(f"unknown severity {severity!r}; choose low, medium, high or critical", code=2)
    try:
        results = asyncio.run(_send(channel, severity, keep_open))
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid OSIRIS_L3_ setting {'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg')}")
    except ServingError as exc:
        fail(exc.message)
    for r in results:
        if as_json:
            emit_json(r)
        else:
            verdict = "accepted" if r["ok"] else "refused"
            answer = r["response"] or r["error"] or ""
            code = f" {r['status_code']}" if r["status_code"] is not None else ""
            typer.echo(f"{channel} {r['action']}: {verdict}{code} in {r['latency_ms']:.0f} ms: {answer}".rstrip(": "))
    failed = next((r for r in results if not r["ok"]), None)
    if failed is not None:
        fail(f"{channel} refused the test {failed['action']}: {failed['error'] or failed['status_code']}")
