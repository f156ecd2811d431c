"""End to end against the real Central Command (`osiris serve` on a fresh Postgres): the cycle,
bundles and orders through the admin API, Central stopped mid-run, and `kill -9` of the agent."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import time

import asyncpg
import pytest

from agent.agent import Agent
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.runbooks import catalog
from agent.settings import AgentSettings
from agent.simulation import ApplianceSpec, Fleet
from tests.agent.live_central import RealCentral
from tests.conftest import osiris_cmd

pytestmark = pytest.mark.e2e

TABLES = {"incident": "incidents", "l2_decision": "l2_decisions", "healing_outcome": "healing_outcomes",
          "check_result": "check_results", "shadow_match": "shadow_matches", "escalation": "escalations",
          "order_result": "order_results", "evidence_bundle": "evidence_bundles"}


def _db_events(pg_url: str) -> dict[str, list[str]]:
    async def fetch() -> dict[str, list[str]]:
        conn = await asyncpg.connect(pg_url)
        try:
            return {kind: [r[0] for r in await conn.fetch(f"SELECT event_id FROM {table} WHERE event_id IS NOT NULL")]
                    for kind, table in TABLES.items()}
        finally:
            await conn.close()

    return asyncio.run(fetch())


@pytest.fixture
def cc(pg_url, tmp_path):
    central = RealCentral(pg_url, tmp_path / "cc").start()
    yield central
    central.stop()


def _settings(cc: RealCentral, provisioned: dict, tmp_path, **kw) -> AgentSettings:
    values = dict(site_id=provisioned["site_id"], mcp_url=cc.url, api_key=provisioned["api_key"],
                  server_pubkey=provisioned["signing_public_key"], state_dir=tmp_path / "agent", poll_interval=0,
                  backoff_base=0.01, backoff_max=0.05, http_timeout=5)
    values.update(kw)
    return AgentSettings(**values)


def _recording(agent: Agent) -> set[tuple[str, str]]:
    """Every (kind, event id) the agent queues from now on."""
    queued: set[tuple[str, str]] = set()
    add = agent.outbox.add

    def spy(events, **kw):
        events = list(events)
        n = add(events, **kw)
        if n:
            queued.update((e.kind.value, e.event_id) for e in events)
        return n

    agent.outbox.add = spy
    return queued


def test_e2e_cycle_bundle_orders_against_real_central(cc, pg_url, tmp_path):
    p = cc.provision()
    rule = {"id": "L1-PROMO-SMBSIGN", "priority": 50, "source": "promoted", "action": "execute_runbook",
            "runbook_id": "RB-WIN-SMBSIGN-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "smb_signing"}]}
    shadow = {"id": "L1-SHADOW-LOGS", "priority": 50, "source": "promoted", "status": "shadow", "action": "execute_runbook",
              "runbook_id": "RB-WIN-EVENTLOG-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "log_retention"}]}
    cc.call("POST", "/api/bundles", json={"rules": [rule, shadow]})
    host = SimulatedHost("ws-01", "windows", catalog(), drift_rate=0, failure_rate=0, flap_rate=0)
    agent = Agent(_settings(cc, p, tmp_path), targets=[Target("ws-01", "windows", host)])
    try:
        first = agent.cycle()
        assert first.checked_in and first.bundle_version == 1
        for check in ("smb_signing", "firewall_status", "log_retention"):
            host.drift(check)
        order = cc.call("POST", "/api/orders", json={"appliance_id": p["appliance_id"], "type": "diagnostic",
                                                     "params": {"kind": "disk"}})
        report = agent.cycle()
        assert report.orders == {"completed": 1} and report.outbox_depth == 0
        # log_retention/windows has no L1 rule: L2 decides where Central offers it, else a person (L3).
        assert report.outcomes["L1:healed"] == 2 and sum(report.outcomes.values()) == 3
        assert cc.call("GET", f"/api/orders/{order['id']}")["status"] == "completed"
    finally:
        agent.close()
    db = _db_events(pg_url)
    assert len(db["incident"]) == 3 and len(db["healing_outcome"]) == 3 and len(db["shadow_match"]) == 1
    assert len(db["check_result"]) >= 16 and len(db["order_result"]) == 1


def test_e2e_central_stopped_mid_run_every_event_arrives_exactly_once(cc, pg_url, tmp_path):
    p = cc.provision()
    spec = ApplianceSpec(site_id=p["site_id"], api_key=p["api_key"], hosts="windows:2,linux:2")
    with Fleet(cc.url, p["signing_public_key"], [spec], tmp_path / "fleet", seed=11, drift_rate=0.2,
               backoff_base=0.01, backoff_max=0.05) as fleet:
        agent = fleet.agents[0]
        queued = _recording(agent)
        fleet.run(3)
        cc.stop()
        offline = fleet.run(4)
        assert offline.central_errors == 4 and agent.outbox.depth() > 0
        cc.start()
        fleet.run(3)
        assert fleet.drain() == 0
    db = _db_events(pg_url)
    for kind in TABLES:
        mine = sorted(i for k, i in queued if k == kind)
        assert sorted(db[kind]) == mine, kind  # all of them, each once, nothing extra
    assert sum(len(v) for v in db.values()) == len(queued) > 50


def _agent_env(cc: RealCentral, p: dict, state_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSP_")}
    env.update({"MSP_SITE_ID": p["site_id"], "MSP_MCP_URL": cc.url, "MSP_API_KEY": p["api_key"],
                "MSP_SERVER_PUBKEY": p["signing_public_key"], "MSP_STATE_DIR": str(state_dir),
                "MSP_SIMULATE": "windows:4,linux:4", "MSP_SIM_DRIFT_RATE": "0.5", "MSP_SIM_FAILURE_RATE": "0.2",
                "MSP_SIM_FLAP_RATE": "0.2", "MSP_POLL_INTERVAL": "0", "MSP_OUTBOX_BATCH_SIZE": "7",
                "MSP_CHECK_REPORT_INTERVAL": "0"})
    return env


def test_e2e_kill_9_during_burst_store_intact_nothing_lost(cc, pg_url, tmp_path):
    p = cc.provision()
    state_dir = tmp_path / "agent"
    env = _agent_env(cc, p, state_dir)
    waited = 0
    for seed, delay in ((1, 2.5), (2, 1.7)):
        env["MSP_SIM_SEED"] = str(seed)
        proc = subprocess.Popen([*osiris_cmd(), "agent", "run"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        db = sqlite3.connect(state_dir / "agent.db")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        pending = {(k, i) for k, i in db.execute("SELECT kind, event_id FROM outbox")}
        waited += len(pending)
        incidents = [r[0] for r in db.execute("SELECT incident_id FROM incidents")]
        db.close()
        before = _db_events(pg_url)
        delivered = {(k, i) for k, ids in before.items() for i in ids}
        assert incidents, "the burst produced no incidents"
        # Every incident the store holds was either acknowledged by Central or still waits in the outbox.
        assert all(("incident", i) in delivered or ("incident", i) in pending for i in incidents)

        # Restart: the outbox drains, and every event that waited arrives.
        env_once = dict(env, MSP_SIMULATE="")
        out = subprocess.run([*osiris_cmd(), "agent", "once"], env=env_once, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        after = _db_events(pg_url)
        arrived = {(k, i) for k, ids in after.items() for i in ids}
        assert pending <= arrived and delivered <= arrived
        assert all(len(ids) == len(set(ids)) for ids in after.values())
        check = sqlite3.connect(state_dir / "agent.db")
        assert check.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        check.close()
    assert waited > 0, "no kill landed while events were waiting: the test proved nothing"


def test_e2e_fleet_provisioned_through_admin_api_reports_per_site(cc, pg_url, tmp_path):
    from agent.simulation import provision_fleet

    pubkey, specs = provision_fleet(cc.url, cc.admin, sites=2, appliances_per_site=2, hosts="windows:1,linux:1")
    assert len(specs) == 4 and len({s.site_id for s in specs}) == 2
    with Fleet(cc.url, pubkey, specs, tmp_path / "fleet", seed=5, drift_rate=0.2, seconds_per_cycle=60) as fleet:
        summary = fleet.run(4, workers=2)
        assert fleet.drain() == 0
    assert summary.cycles == 4 and summary.central_errors == 0 and summary.checks == 4 * 4 * 31
    assert summary.outcomes["L1:healed"] > 0

    async def per_site() -> dict[str, int]:
        conn = await asyncpg.connect(pg_url)
        try:
            rows = await conn.fetch("SELECT site_id::text, count(*) FROM check_results GROUP BY site_id")
            return {r[0]: r[1] for r in rows}
        finally:
            await conn.close()

    counts = asyncio.run(per_site())
    assert set(counts) == {s.site_id for s in specs} and all(n > 0 for n in counts.values())
