"""Fault: Central Command is killed (SIGKILL) in the middle of an agent's outbox flush.

Extends the agent's e2e tests (Central stopped between cycles, `kill -9` of the agent) with the
server dying inside a telemetry request, at the two points that matter: while it is still reading
the batch (nothing committed) and after it committed but before the answer left (committed, never
acknowledged). A relay on 127.0.0.1 between agent and server picks the moment exactly. After each
kill the server is restarted; the agent's next flush must deliver every queued event exactly once.
"""

from __future__ import annotations

import pytest

from agent.agent import Agent
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.runbooks import catalog
from agent.settings import AgentSettings
from tests.agent.live_central import RealCentral
from tests.hardening.faults_central import event_ids_by_kind, recording
from tests.hardening.faults_proxy import KillingRelay

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

TELEMETRY = "/api/agent/telemetry"
BATCH = 20


@pytest.fixture
def cc(pg_url, tmp_path):
    central = RealCentral(pg_url, tmp_path / "cc").start()
    yield central
    central.stop()


@pytest.fixture
def relay(cc):
    def kill() -> None:
        cc.stop(kill=True)

    r = KillingRelay(cc.port, kill)
    yield r
    r.close()


def _agent(cc: RealCentral, relay: KillingRelay, p: dict, tmp_path) -> Agent:
    settings = AgentSettings(
        site_id=p["site_id"], mcp_url=relay.url, api_key=p["api_key"], server_pubkey=p["signing_public_key"],
        state_dir=tmp_path / "agent", poll_interval=0, backoff_base=0.01, backoff_max=0.05, http_timeout=10,
        outbox_batch_size=BATCH, check_report_interval=0)
    hosts = [Target(f"ws-{i}", platform, SimulatedHost(f"ws-{i}", platform, catalog(), drift_rate=0.5,
                                                        failure_rate=0.2, flap_rate=0.0, seed=i))
             for i, platform in enumerate(["windows", "windows", "linux", "linux"])]
    return Agent(settings, targets=hosts)


def test_faults_central_killed_mid_flush_next_flush_delivers_exactly_once(cc, relay, pg_url, tmp_path):
    p = cc.provision()
    agent = _agent(cc, relay, p, tmp_path)
    try:
        queued = recording(agent)
        assert agent.cycle().checked_in
        cc.stop()
        for _ in range(4):  # offline: the outbox fills
            assert agent.cycle().central_error
        depth = agent.outbox.depth()
        assert depth >= 6 * BATCH, f"only {depth} events queued"
        before = len(_stored(pg_url))  # what the first, online cycle delivered

        # 1. Killed while reading the second batch: the first is acknowledged, the second is not stored.
        cc.start()
        relay.kill_on(TELEMETRY, 2, "mid_body")
        first = agent.outbox.flush(agent.central.send_telemetry, batch_size=BATCH, force=True)
        assert relay.fired.is_set() and cc.proc is None
        assert first.sent == BATCH and first.error and agent.outbox.depth() == depth - BATCH
        assert len(_stored(pg_url)) == before + BATCH

        # 2. Killed after committing the second batch but before answering: stored, not acknowledged.
        cc.start()
        relay.kill_on(TELEMETRY, 2, "before_answer")
        second = agent.outbox.flush(agent.central.send_telemetry, batch_size=BATCH, force=True)
        assert relay.fired.is_set() and cc.proc is None
        assert second.sent == BATCH and second.error
        assert agent.outbox.depth() == depth - 2 * BATCH
        assert len(_stored(pg_url)) == before + 3 * BATCH  # one batch more than the agent knows about

        # 3. Restarted: the next flush delivers the rest; the unacknowledged batch comes back as duplicates.
        cc.start()
        final = agent.outbox.flush(agent.central.send_telemetry, batch_size=BATCH, force=True)
        assert final.error is None and agent.outbox.depth() == 0
        assert final.duplicates == BATCH and final.sent == depth - 2 * BATCH
        report = agent.cycle()  # and the agent carries on as usual
        assert report.checked_in and report.outbox_depth == 0
    finally:
        agent.close()
    stored = _stored(pg_url)
    assert sorted(stored) == sorted(queued)  # every queued event, each once, nothing else


def _stored(pg_url: str) -> list[tuple[str, str]]:
    return [(kind, event_id) for kind, ids in event_ids_by_kind(pg_url).items() for event_id in ids]
