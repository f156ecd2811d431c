"""The escalation engine end to end: real Postgres, real HTTP receivers and a real SMTP server on 127.0.0.1.

Assertions are on what the receivers got (the documented Slack, PagerDuty Events v2, Teams and MIME
fields) and on what Postgres recorded (heads, repeats, every attempt).
"""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest

from serving.errors import Conflict, NotFound
from serving.l3 import engine as l3
from serving.l3.engine import Engine
from tests.serving.l3.conftest import fast, request
from tests.serving.l3.receivers import (
    SECRET_PATH,
    SMTP_PASSWORD,
    SMTP_USER,
    Reply,
    closed_port_url,
    http_receiver,
    smtp_server,
)

PD_ACCEPTED = Reply(202, '{"status":"success","message":"Event processed","dedup_key":"x"}')
TEAMS_ACCEPTED = Reply(202, "")


class Receivers:
    """One receiver per channel, and settings pointing the engine at them."""

    def __init__(self, stack: ExitStack, pki, slack=(), pagerduty=(), teams=(), smtp=()):
        self.slack = stack.enter_context(http_receiver(*slack))
        self.pagerduty = stack.enter_context(http_receiver(*(pagerduty or [PD_ACCEPTED]), path="/v2/enqueue"))
        self.teams = stack.enter_context(http_receiver(*(teams or [TEAMS_ACCEPTED])))
        self.smtp = stack.enter_context(smtp_server(pki, *smtp))
        self.pki = pki

    def settings(self, **overrides):
        values = dict(
            slack_webhook_url=self.slack.url, teams_webhook_url=self.teams.url,
            pagerduty_routing_key="R0UTINGKEY0123456789abcdef01234", pagerduty_events_url=self.pagerduty.url,
            smtp_host="127.0.0.1", smtp_port=self.smtp.port, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD,
            smtp_to=["oncall@msp.example"], smtp_ca_file=self.pki.ca_file, smtp_timeout_s=5,
        )
        values.update(overrides)
        return fast(**values)


@pytest.fixture
def receivers(pki):
    with ExitStack() as stack:
        yield lambda **kw: Receivers(stack, pki, **kw)


async def _attempts(pool, escalation_id) -> list[dict]:
    rows = await pool.fetch("SELECT channel, action, attempt, ok, status_code, response, error FROM "
                            "escalation_attempts WHERE escalation_id = $1 ORDER BY id", escalation_id)
    return [dict(r) for r in rows]


async def test_escalate_critical_reaches_every_channel_with_documented_fields(pool, appliance, receivers, catalog):
    r = receivers()
    engine = Engine(r.settings(), catalog=catalog)
    head = await l3.escalate(pool, request(appliance.site_id, "inc-crit-1"), appliance_id=appliance.id, engine=engine)
    await engine.close()
    assert head["status"] == "notified"
    assert head["channels"] == ["email", "pagerduty", "slack", "teams"]
    assert head["dedup_key"] == "inc-crit-1"
    # PagerDuty Events API v2
    pd = r.pagerduty.bodies[0]
    assert pd["routing_key"] == "R0UTINGKEY0123456789abcdef01234"
    assert (pd["event_action"], pd["dedup_key"]) == ("trigger", "inc-crit-1")
    assert pd["payload"]["severity"] == "critical" and pd["payload"]["source"] == "pc-7"
    assert pd["payload"]["summary"] == "[CRITICAL] firewall_status drift on pc-7 (Main Street Clinic)"
    details = pd["payload"]["custom_details"]
    assert details["hipaa_controls"] == ["164.312(a)(1)", "164.312(e)(1)"]
    assert details["drift"] == {"profile": "domain", "enabled": False, "rule_count": 0}
    # Slack incoming webhook: text plus a severity-coloured attachment
    slack = r.slack.bodies[0]
    assert slack["text"] == pd["payload"]["summary"]
    assert slack["attachments"][0]["color"] == "#B00020"
    assert r.slack.posts[0].path == SECRET_PATH
    # Teams: one Adaptive Card attachment
    card = r.teams.bodies[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["body"][0]["style"] == "attention"
    # Email: both parts
    msg = r.smtp.mails[0].message
    assert {p.get_content_type() for p in msg.iter_parts()} == {"text/plain", "text/html"}
    assert msg["X-Osiris-Dedup-Key"] == "inc-crit-1"
    # Every attempt recorded, the webhook secret in none of them
    rows = await _attempts(pool, head["id"])
    assert sorted(a["channel"] for a in rows) == ["email", "pagerduty", "slack", "teams"]
    assert all(a["ok"] and a["action"] == "trigger" for a in rows)
    assert not any("xoxTopSecret" in (a["response"] + (a["error"] or "")) for a in rows)


async def test_escalate_low_severity_routed_to_email_only(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    head = await l3.escalate(pool, request(appliance.site_id, severity="low"), engine=engine)
    await engine.close()
    assert head["channels"] == ["email"]
    assert r.slack.posts == [] and r.pagerduty.posts == [] and len(r.smtp.mails) == 1


async def test_escalate_site_route_replaces_severity_route(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings(site_channels={str(appliance.site_id): ["teams"]}))
    head = await l3.escalate(pool, request(appliance.site_id), engine=engine)
    await engine.close()
    assert head["channels"] == ["teams"] and r.slack.posts == [] and len(r.teams.posts) == 1


async def test_escalate_repeats_grouped_under_one_head(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    first = await l3.escalate(pool, request(appliance.site_id, "inc-r"), engine=engine)
    second = await l3.escalate(pool, request(appliance.site_id, "inc-r"), engine=engine)
    third = await l3.escalate(pool, request(appliance.site_id, "inc-r"), engine=engine)
    await engine.close()
    assert first["id"] == second["id"] == third["id"]
    assert third["occurrences"] == 3 and third["last_seen_at"] >= first["requested_at"]
    assert len(r.slack.posts) == 1 and len(r.pagerduty.posts) == 1 and len(r.smtp.mails) == 1
    statuses = [s["status"] for s in await pool.fetch("SELECT status FROM escalations ORDER BY ingest_seq")]
    assert statuses == ["notified", "grouped", "grouped"]


async def test_escalate_replayed_event_sends_nothing_twice(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    req = request(appliance.site_id, "inc-replay")
    await l3.escalate(pool, req, engine=engine)
    again = await l3.escalate(pool, req, engine=engine)
    await engine.close()
    assert again["occurrences"] == 1
    assert await pool.fetchval("SELECT count(*) FROM escalations") == 1
    assert len(r.slack.posts) == 1


async def test_escalate_severity_rise_adds_only_new_channels(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    await l3.escalate(pool, request(appliance.site_id, "inc-up", severity="medium"), engine=engine)
    assert r.pagerduty.posts == [] and len(r.slack.posts) == 1
    head = await l3.escalate(pool, request(appliance.site_id, "inc-up", severity="critical"), engine=engine)
    await engine.close()
    assert head["severity"] == "critical" and head["occurrences"] == 2
    assert len(r.pagerduty.posts) == 1 and len(r.slack.posts) == 1
    assert head["channels"] == ["email", "pagerduty", "slack", "teams"]


async def test_resolve_by_person_sends_pagerduty_resolve_and_followups(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    head = await l3.escalate(pool, request(appliance.site_id, "inc-res"), engine=engine)
    done = await l3.resolve(pool, head["id"], by="admin:alice", engine=engine)
    await engine.close()
    assert done["status"] == "resolved" and done["resolved_by"] == "admin:alice"
    assert r.pagerduty.bodies[1] == {"routing_key": "R0UTINGKEY0123456789abcdef01234", "event_action": "resolve",
                                     "dedup_key": "inc-res"}
    assert r.slack.bodies[1]["text"].startswith("Resolved: firewall_status drift on pc-7")
    assert r.slack.bodies[1]["attachments"][0]["color"] == "#2E7D32"
    assert r.teams.bodies[1]["attachments"][0]["content"]["body"][0]["style"] == "good"
    followup = r.smtp.mails[1].message
    assert followup["In-Reply-To"] == r.smtp.mails[0].message["Message-ID"]
    assert "resolved by admin:alice" in followup.get_body(("plain",)).get_content()
    actions = sorted((a["channel"], a["action"]) for a in await _attempts(pool, head["id"]) if a["action"] != "trigger")
    assert actions == [("email", "followup"), ("pagerduty", "resolve"), ("slack", "followup"), ("teams", "followup")]


async def test_resolve_twice_conflict_and_unknown_not_found(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    head = await l3.escalate(pool, request(appliance.site_id, "inc-twice"), engine=engine)
    await l3.resolve(pool, head["id"], by="admin:a", engine=engine)
    with pytest.raises(Conflict):
        await l3.resolve(pool, head["id"], by="admin:a", engine=engine)
    with pytest.raises(NotFound):
        await l3.resolve(pool, "00000000-0000-0000-0000-000000000001", by="admin:a", engine=engine)
    await engine.close()
    assert len(r.pagerduty.posts) == 2  # one trigger, one resolve: nothing resent


async def test_appliance_resolved_request_resolves_head(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    head = await l3.escalate(pool, request(appliance.site_id, "inc-heal"), engine=engine)
    after = await l3.escalate(pool, request(appliance.site_id, "inc-heal", resolved=True, reason="healed"),
                              engine=engine)
    await engine.close()
    assert after["id"] == head["id"] and after["status"] == "resolved"
    assert after["resolved_by"] == "appliance: healed"
    assert r.pagerduty.bodies[-1]["event_action"] == "resolve"
    assert "healed on the appliance" in r.slack.bodies[-1]["attachments"][0]["blocks"][1]["fields"][-1]["text"]


async def test_resolve_incident_on_heal_and_none_when_nothing_open(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings())
    await l3.escalate(pool, request(appliance.site_id, "inc-h2"), engine=engine)
    done = await l3.resolve_incident(pool, appliance.site_id, "inc-h2", engine=engine)
    again = await l3.resolve_incident(pool, appliance.site_id, "inc-h2", engine=engine)
    await engine.close()
    assert done["status"] == "resolved" and again is None
    assert r.pagerduty.bodies[-1]["event_action"] == "resolve"


async def test_no_channel_configured_queues_then_flush_delivers(pool, appliance, receivers):
    r = receivers()
    idle = Engine(fast())
    head = await l3.escalate(pool, request(appliance.site_id, "inc-q"), engine=idle)
    assert head["status"] == "queued" and head["attempts"] == []
    assert await l3.flush_queue(pool, idle) == 0
    engine = Engine(r.settings())
    assert await l3.flush_queue(pool, engine) == 1
    await engine.close()
    row = await pool.fetchrow("SELECT status, channels FROM escalations WHERE id = $1", head["id"])
    assert row["status"] == "notified" and len(r.slack.posts) == 1 and len(r.pagerduty.posts) == 1


async def test_receiver_failing_twice_then_accepting_retried(pool, appliance, receivers):
    r = receivers(slack=[Reply(503, "upstream"), Reply(500, "oops"), Reply(200, "ok")])
    engine = Engine(r.settings(severity_channels={"critical": ["slack"]}))
    head = await l3.escalate(pool, request(appliance.site_id), engine=engine)
    await engine.close()
    assert head["status"] == "notified"
    rows = await _attempts(pool, head["id"])
    assert [(a["attempt"], a["ok"], a["status_code"]) for a in rows] == [(1, False, 503), (2, False, 500), (3, True, 200)]
    assert len(r.slack.posts) == 3 and r.slack.bodies[0] == r.slack.bodies[2]


async def test_retry_after_from_receiver_honoured(pool, appliance, receivers):
    r = receivers(pagerduty=[Reply(429, '{"status":"throttled"}', {"Retry-After": "1"}), PD_ACCEPTED])
    engine = Engine(r.settings(severity_channels={"critical": ["pagerduty"]}))
    started = time.monotonic()
    head = await l3.escalate(pool, request(appliance.site_id), engine=engine)
    await engine.close()
    assert head["status"] == "notified"
    gap = r.pagerduty.posts[1].at - r.pagerduty.posts[0].at
    assert gap >= 0.95, f"retried after {gap:.3f} s despite Retry-After: 1"
    assert time.monotonic() - started < 4
    rows = await _attempts(pool, head["id"])
    assert rows[0]["status_code"] == 429 and rows[1]["ok"]


async def test_permanent_refusal_fails_without_retry(pool, appliance, receivers):
    r = receivers(pagerduty=[Reply(400, '{"status":"invalid event","message":"Event object is invalid"}')])
    engine = Engine(r.settings(severity_channels={"critical": ["pagerduty"]}))
    head = await l3.escalate(pool, request(appliance.site_id), engine=engine)
    await engine.close()
    assert head["status"] == "failed" and head["channels"] == []
    rows = await _attempts(pool, head["id"])
    assert len(rows) == 1 and "invalid event" in rows[0]["response"]


async def test_unreachable_webhook_bounded_and_url_not_recorded(pool, appliance, receivers):
    r = receivers()
    engine = Engine(r.settings(slack_webhook_url=closed_port_url(), severity_channels={"critical": ["slack"]},
                               max_attempts=3))
    head = await l3.escalate(pool, request(appliance.site_id), engine=engine)
    await engine.close()
    rows = await _attempts(pool, head["id"])
    assert len(rows) == 3 and not any(a["ok"] for a in rows)
    assert all("127.0.0.1" in a["error"] and "xoxTopSecret" not in a["error"] for a in rows)
    assert head["status"] == "failed"


async def test_failed_channel_retried_on_next_repeat(pool, appliance, receivers):
    r = receivers(slack=[Reply(400, "invalid_payload"), Reply(200, "ok")])
    engine = Engine(r.settings(severity_channels={"critical": ["slack"]}))
    first = await l3.escalate(pool, request(appliance.site_id, "inc-f"), engine=engine)
    second = await l3.escalate(pool, request(appliance.site_id, "inc-f"), engine=engine)
    await engine.close()
    assert first["status"] == "failed" and second["status"] == "notified" and second["channels"] == ["slack"]
