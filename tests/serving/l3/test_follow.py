"""The recovery sweep: escalations nobody handled (a crash after the ingest's commit) still go out."""

from __future__ import annotations

from contracts.incidents import HealingOutcome
from contracts.telemetry import EventKind, event
from serving.l3 import follow, store
from serving.l3.engine import Engine
from serving.services.telemetry import ingest
from tests.serving.l3.conftest import fast, request
from tests.serving.l3.receivers import http_receiver


async def test_sweep_handles_row_the_hook_never_saw(pool, appliance):
    with http_receiver() as slack:
        engine = Engine(fast(slack_webhook_url=slack.url))
        rid = await store.insert(pool, request(appliance.site_id, "inc-lost"), appliance.id)
        assert await follow.sweep(pool, engine) == 0  # too fresh: its hook may still be running
        await pool.execute("UPDATE escalations SET received_at = now() - interval '5 minutes' WHERE id = $1", rid)
        assert await follow.sweep(pool, engine) == 1
        assert await follow.sweep(pool, engine) == 0
        await engine.close()
    assert len(slack.posts) == 1
    assert await pool.fetchval("SELECT status FROM escalations WHERE id = $1", rid) == "notified"


async def test_sweep_redelivers_head_stuck_after_its_claim(pool, appliance):
    with http_receiver() as slack:
        engine = Engine(fast(slack_webhook_url=slack.url))
        rid = await store.insert(pool, request(appliance.site_id, "inc-stuck"), appliance.id)
        # Claimed and made head, then the process died before delivering.
        await store.claim(pool, rid)
        await pool.execute("UPDATE escalations SET dispatched_at = now() - interval '1 hour' WHERE id = $1", rid)
        assert await follow.sweep(pool, engine) == 1
        await engine.close()
    assert len(slack.posts) == 1


async def test_handle_escalates_before_resolving_same_batch(pool, appliance):
    esc = request(appliance.site_id, "inc-order")
    healed = HealingOutcome(incident_id="inc-order", site_id=str(appliance.site_id), tier="L3", status="healed",
                            pattern_signature="sig")
    # One batch holding both: the ingest stores them, and the hook's work sees them in that order.
    await ingest(pool, appliance, [event(EventKind.ESCALATION, esc), event(EventKind.HEALING_OUTCOME, healed)])
    with http_receiver() as slack:
        engine = Engine(fast(slack_webhook_url=slack.url))
        await follow.handle(pool, engine, [esc.event_id], [healed.event_id])
        await engine.close()
    assert [b["text"].split(" ")[0] for b in slack.bodies] == ["[CRITICAL]", "Resolved:"]
    assert await pool.fetchval("SELECT status FROM escalations WHERE incident_id = 'inc-order'") == "resolved"
