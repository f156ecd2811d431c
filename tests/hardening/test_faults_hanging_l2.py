"""Fault: the Anthropic API hangs behind a real `osiris serve`; L2 must still answer, in time.

The provider is a peer on 127.0.0.1 that accepts and never answers, silent or dripping one header
byte at a time (each read then finishes inside the SDK's per-read timeout, so only the planner's
overall deadline ends the call). What must hold: each plan request answers within the deadline plus
the fallback's own time, from the learned planner where it has history and for human review where
it has none, recorded with the reason `timeout`; the server stays responsive meanwhile; and with the
shipped defaults the answer reaches the appliance before the appliance stops waiting.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from contracts.incidents import HealingOutcome, Incident, L2Decision
from contracts.telemetry import EventKind, event
from tests.agent.live_central import RealCentral
from tests.hardening.faults_central import _in_thread
from tests.hardening.faults_hang import HangingServer

pytestmark = pytest.mark.slow

MODES = ["silent", "drip"]
MARGIN = 2.0
"""Seconds allowed beyond a configured time: thread start-up, a loaded 2-core machine."""


@pytest.fixture
def hanging():
    with HangingServer() as server:
        yield server


# --- L2: Anthropic behind a real `osiris serve` ---------------------------------------------------

LLM_TIMEOUT = 1.0
DEADLINE = LLM_TIMEOUT * 2 + 1.0  # serving.l2.settings.L2Settings.deadline() with the default one retry
FALLBACK = 2.0
"""The learned planner's first answer: importing scikit-learn and fitting the tree (about 1.5 s here)."""


@pytest.fixture
def l2_central(pg_url, tmp_path, hanging):
    central = RealCentral(pg_url, tmp_path / "cc")
    central.env.update({"ANTHROPIC_API_KEY": "sk-ant-hardening-test", "OSIRIS_ANTHROPIC_BASE_URL": hanging.url,
                        "LLM_TIMEOUT": str(LLM_TIMEOUT)})
    central.start()
    yield central
    central.stop()


def _incident(site_id: str, check_type: str) -> Incident:
    return Incident(site_id=site_id, host="[NAME_1]-pc", check_type=check_type, platform="windows",
                    severity="high", details={"profile": "domain", "enabled": False},
                    pattern_signature=f"sig-{check_type}")


def _seed_healed_history(cc: RealCentral, p: dict, n: int = 3, *, check_type: str = "firewall_status",
                         runbook: str = "RB-WIN-FIREWALL-001") -> None:
    """n drifts an L2 decision healed: what the learned planner trains on."""
    events = []
    for _ in range(n):
        inc = _incident(p["site_id"], check_type)
        dec = L2Decision(incident_id=inc.incident_id, site_id=p["site_id"], runbook_id=runbook,
                         confidence=0.9, pattern_signature=inc.pattern_signature)
        out = HealingOutcome(incident_id=inc.incident_id, site_id=p["site_id"], tier="L2", status="healed",
                             runbook_id=runbook, decision_id=dec.decision_id,
                             pattern_signature=inc.pattern_signature)
        events += [event(EventKind.INCIDENT, inc), event(EventKind.L2_DECISION, dec),
                   event(EventKind.HEALING_OUTCOME, out)]
    r = httpx.post(cc.url + "/api/agent/telemetry", json={"events": [e.model_dump(mode="json") for e in events]},
                   headers={"Authorization": f"Bearer {p['api_key']}"}, timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == 3 * n, r.text


def _plan(cc: RealCentral, p: dict, incident: Incident) -> tuple[httpx.Response, float]:
    body = {"incident": incident.model_dump(mode="json"), "platform": "windows", "runbooks": []}
    start = time.monotonic()
    r = httpx.post(cc.url + "/api/agent/l2/plan", json=body, headers={"Authorization": f"Bearer {p['api_key']}"},
                   timeout=DEADLINE + 30)
    return r, time.monotonic() - start


def _recorded(pg_url: str, decision_id: str) -> dict:
    import asyncpg

    async def fetch() -> dict:
        conn = await asyncpg.connect(pg_url)
        try:
            row = await conn.fetchrow("SELECT provider, fallback_reason, runbook_id FROM l2_decisions "
                                      "WHERE decision_id = $1", decision_id)
            return dict(row) if row else {}
        finally:
            await conn.close()

    return _in_thread(fetch())


@pytest.mark.parametrize("mode", MODES)
def test_faults_hanging_anthropic_l2_falls_back_within_deadline(l2_central, hanging, pg_url, mode):
    hanging.mode = mode
    cc = l2_central
    p = cc.provision()
    _seed_healed_history(cc, p)
    known = _incident(p["site_id"], "firewall_status")
    unseen = _incident(p["site_id"], "rdp_nla")

    answers: dict[str, tuple[httpx.Response, float]] = {}
    workers = [threading.Thread(target=lambda k=k, i=i: answers.__setitem__(k, _plan(cc, p, i)))
               for k, i in (("known", known), ("unseen", unseen))]
    for w in workers:
        w.start()
    time.sleep(LLM_TIMEOUT / 2)  # both plans now wait on the provider
    health_start = time.monotonic()
    assert httpx.get(cc.url + "/healthz", timeout=5).status_code == 200
    health = time.monotonic() - health_start
    for w in workers:
        w.join(timeout=DEADLINE + 30)

    assert health < 0.5, f"the server stalled while L2 waited: /healthz took {health:.2f} s"
    assert hanging.connections >= 2, "the planner never asked the provider"
    for name, (r, elapsed) in answers.items():
        assert r.status_code == 200, r.text
        assert elapsed < DEADLINE + FALLBACK + MARGIN, f"{name}: {elapsed:.2f} s"
        assert r.json()["guardrails"]["chain"][0] == {"provider": "anthropic", "outcome": "timeout",
                                                     "detail": r.json()["guardrails"]["chain"][0]["detail"]}

    learned = answers["known"][0].json()
    assert learned["provider"] == "learned" and learned["runbook_id"] == "RB-WIN-FIREWALL-001"
    assert not learned["requires_human_review"]
    assert _recorded(pg_url, learned["decision_id"]) == {
        "provider": "learned", "fallback_reason": "timeout", "runbook_id": "RB-WIN-FIREWALL-001"}

    human = answers["unseen"][0].json()
    assert human["provider"] == "human_review" and human["requires_human_review"]
    assert _recorded(pg_url, human["decision_id"])["fallback_reason"] == "timeout,no_training_data"


# --- the appliance's view, with the shipped defaults -----------------------------------------------


@pytest.fixture
def default_central(pg_url, tmp_path, hanging):
    """`osiris serve` with only the API key and endpoint set: every L2 timeout is the shipped default."""
    central = RealCentral(pg_url, tmp_path / "cc")
    central.env.update({"ANTHROPIC_API_KEY": "sk-ant-hardening-test", "OSIRIS_ANTHROPIC_BASE_URL": hanging.url})
    for name in ("LLM_TIMEOUT", "OSIRIS_LLM_TIMEOUT", "OSIRIS_LLM_MAX_RETRIES", "OSIRIS_L2_DEADLINE"):
        central.env.pop(name, None)
    central.start()
    yield central
    central.stop()


def test_faults_hanging_anthropic_agent_gets_learned_plan_with_default_timeouts(default_central, hanging,
                                                                                 pg_url, tmp_path):
    from agent.agent import Agent
    from agent.executors.base import Target
    from agent.executors.simulated import SimulatedHost
    from agent.runbooks import catalog
    from agent.settings import AgentSettings

    cc = default_central
    p = cc.provision()
    _seed_healed_history(cc, p, check_type="log_retention", runbook="RB-WIN-EVENTLOG-001")
    host = SimulatedHost("ws-01", "windows", catalog(), drift_rate=0, failure_rate=0, flap_rate=0)
    settings = AgentSettings(site_id=p["site_id"], mcp_url=cc.url, api_key=p["api_key"],
                             server_pubkey=p["signing_public_key"], state_dir=tmp_path / "agent", poll_interval=0,
                             check_types=["log_retention"])  # MSP_HTTP_TIMEOUT and L2 attempts: defaults
    agent = Agent(settings, targets=[Target("ws-01", "windows", host)])
    try:
        host.drift("log_retention")  # no L1 rule covers it on Windows: L2 decides
        start = time.monotonic()
        report = agent.cycle()
        elapsed = time.monotonic() - start
    finally:
        agent.close()
    assert hanging.connections >= 1, "the planner never asked the provider"
    # The provider hung; the learned planner's answer still reached the appliance, which healed with it.
    assert report.outcomes == {"L2:healed": 1}, (report.outcomes, report.central_error, f"{elapsed:.1f} s")
    assert elapsed < settings.http_timeout + MARGIN
