"""The network scan inside the agent's cycle: off by default; when due, device scans, network check
results and incidents that reach a person (L3) once, never L2. Fast tests hand the agent a fake
scanner (no nmap); the last one runs nmap on 127.0.0.1 only against the real Central Command.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import shutil
import threading

import asyncpg
import pytest

from agent.agent import Agent
from agent.errors import ScanError
from agent.scanner.models import HostScan, PortFinding
from agent.scanner.nmap_scan import ScanRun
from agent.scanner.ranges import ScopeGuard
from agent.scanner.run import RUN_KEY
from agent.scanner.settings import ScanSettings
from agent.settings import AgentSettings, load_settings
from contracts.incidents import Incident
from tests.agent.conftest import sim
from tests.agent.live_central import RealCentral
from tests.agent.scanner.listeners import Listeners

LOOPBACK = "127.0.0.1/32"
TELNET = PortFinding(port=2323, service="telnet")
NETWORK_CHECKS = 7


class FakeScanner:
    """Stands in for nmap: the hosts it is given, for 127.0.0.1 only; counts its scans."""

    def __init__(self, *hosts: HostScan, error: Exception | None = None):
        self.guard = ScopeGuard([ipaddress.IPv4Network(LOOPBACK)])
        self.hosts, self.error, self.calls = list(hosts), error, 0

    def scan(self, targets=None) -> ScanRun:
        self.calls += 1
        checked = self.guard.targets(targets)
        if self.error is not None:
            raise self.error
        return ScanRun(list(self.hosts), checked, "-sT (fake)", 0.01, False)


def _host(*ports: PortFinding) -> HostScan:
    return HostScan(ip="127.0.0.1", ports=tuple(ports))


def _events(state, kind: str) -> list[dict]:
    return [e["payload"] for e in state.events.values() if e["kind"] == kind]


def _network(state, kind: str) -> list[dict]:
    return [p for p in _events(state, kind) if str(p.get("check_type", "")).startswith("net_")]


@pytest.fixture
def scan_agent(make_settings):
    """Agents with scan settings (ranges 127.0.0.1/32 unless given) and a fake scanner; closed afterwards."""
    made: list[Agent] = []

    def _make(scanner: FakeScanner | None, targets=None, settings: AgentSettings | None = None, **scan) -> Agent:
        values = dict(network_ranges=LOOPBACK, scan_interval=0.001, scan_udp_ports="", scan_resolve_names=False)
        values.update(scan)
        agent = Agent(settings or make_settings(), targets=targets or [], scan_settings=ScanSettings(**values))
        agent.network.scanner = scanner
        made.append(agent)
        return agent

    yield _make
    for agent in made:
        agent.close()


def test_network_cycle_no_ranges_never_scans(central, make_agent):
    state, _ = central
    agent = make_agent([sim("l1", "linux")])
    fake = agent.network.scanner = FakeScanner(_host(TELNET))
    report = agent.cycle()
    assert not agent.scan_settings.enabled and fake.calls == 0
    assert report.scan is None and report.scan_error is None and _events(state, "device_scan") == []
    assert agent.store.latest_scan(RUN_KEY, "run") is None


def test_network_cycle_fake_scan_reports_and_escalates_cleartext_once(central, scan_agent):
    state, _ = central
    fake = FakeScanner(_host(TELNET))
    agent = scan_agent(fake, targets=[sim("l1", "linux")])
    report = agent.cycle()
    assert report.checked_in and report.outbox_depth == 0 and report.scan_error is None
    assert report.scan == {"ranges": [LOOPBACK], "hosts": 1, "checks": NETWORK_CHECKS, "failed": 1,
                           "elapsed_s": 0.01}
    assert report.outcomes == {"L3:escalated": 1} and report.checks == 15  # the drift checks ran as well
    (scan,) = _events(state, "device_scan")
    assert scan["ip"] == "127.0.0.1" and scan["open_ports"][0]["service"] == "telnet" and not scan["in_inventory"]
    results = {r["check_type"]: r["status"] for r in _network(state, "check_result")}
    assert len(results) == NETWORK_CHECKS and results["net_cleartext_remote_access"] == "fail"
    assert results["net_unknown_device"] == "not_applicable"  # no inventory file
    (incident,) = _network(state, "incident")
    assert (incident["check_type"], incident["platform"], incident["severity"]) == (
        "net_cleartext_remote_access", "network", "high")
    assert incident["hipaa_controls"] == ["164.312(e)(1)", "164.312(e)(2)(ii)", "164.312(d)"]
    (escalation,) = _events(state, "escalation")
    assert escalation["incident_id"] == incident["incident_id"] and escalation["check_type"] == incident["check_type"]
    assert "L1-NETWORK-001" in escalation["reason"] and not escalation["resolved"]
    (outcome,) = _events(state, "healing_outcome")
    assert (outcome["tier"], outcome["status"], outcome["rule_id"]) == ("L3", "escalated", "L1-NETWORK-001")

    again = agent.cycle()  # scanned again (the interval is tiny), same finding: nothing new
    assert fake.calls == 2 and again.scan["failed"] == 1 and again.outcomes == {}
    assert len(_network(state, "incident")) == 1 and len(_events(state, "escalation")) == 1
    assert len(_network(state, "check_result")) == NETWORK_CHECKS  # unchanged results are not re-sent
    assert len(_events(state, "device_scan")) == 2  # every scan is inventory telemetry
    (row,) = agent.store.open_incidents()
    assert (row["host"], row["status"], row["tier"]) == ("127.0.0.1", "escalated", "L3")


def test_network_cycle_cleared_finding_resolves_incident_and_tells_people(central, scan_agent):
    state, _ = central
    fake = FakeScanner(_host(TELNET))
    agent = scan_agent(fake)
    agent.cycle()
    fake.hosts = [_host(PortFinding(port=22, service="ssh"))]  # telnet turned off, ssh instead
    report = agent.cycle()
    assert report.outcomes == {"resolved": 1} and agent.store.open_incidents() == []
    opened, cleared = sorted(_events(state, "escalation"), key=lambda e: e["resolved"])
    assert (opened["resolved"], cleared["resolved"]) == (False, True)
    assert cleared["incident_id"] == opened["incident_id"] and cleared["reason"] == "drift cleared"


def test_network_cycle_without_l1_rule_goes_to_a_person_not_l2(central, scan_agent):
    state, _ = central
    state.publish([{"id": "L1-NETWORK-001", "enabled": False, "action": "escalate",
                    "conditions": [{"field": "platform", "operator": "eq", "value": "network"}]}], version=1)
    state.l2 = lambda request: pytest.fail("a network finding was sent to the L2 planner")
    agent = scan_agent(FakeScanner(_host(TELNET)))
    report = agent.cycle()
    assert report.bundle_version == 1 and report.outcomes == {"L3:escalated": 1} and state.l2_requests == []
    (escalation,) = _events(state, "escalation")
    assert "no runbook" in escalation["reason"]
    assert _events(state, "healing_outcome")[0]["rule_id"] is None


def test_network_cycle_incident_left_open_by_crash_is_escalated(central, scan_agent):
    state, _ = central
    agent = scan_agent(FakeScanner(_host(TELNET)))
    left = Incident(site_id=state.site_id, host="127.0.0.1", check_type="net_cleartext_remote_access",
                    platform="network", severity="high")
    agent.store.insert_incident(left)  # recorded, then the process died before routing it
    report = agent.cycle()
    assert report.outcomes == {"L3:escalated": 1} and _network(state, "incident") == []
    assert agent.store.incident(left.incident_id)["status"] == "escalated"
    assert _events(state, "escalation")[0]["incident_id"] == left.incident_id


def test_network_cycle_scan_error_reported_cycle_goes_on_retry_later(central, scan_agent):
    state, _ = central
    fake = FakeScanner(error=ScanError("nmap failed: no such file"))
    agent = scan_agent(fake, targets=[sim("l1", "linux")], scan_interval=600)
    report = agent.cycle()
    assert report.scan_error == "ScanError: nmap failed: no such file" and report.scan is None
    assert report.checked_in and report.checks == 15 and report.outbox_depth == 0
    assert agent.cycle().scan_error is None and fake.calls == 1  # not retried every cycle
    assert agent.network.retry_at - agent.network.clock() == pytest.approx(600, abs=5)  # min(1 h, interval)
    agent.network.retry_at = 0
    fake.error = None
    fake.hosts = [_host()]
    assert agent.cycle().scan["hosts"] == 1 and fake.calls == 2


def test_network_cycle_unsafe_range_refused_before_nmap(central, scan_agent):
    # A host name would resolve anywhere: refused as settings, before any scanner exists.
    agent = scan_agent(None, network_ranges="localhost")
    report = agent.cycle()
    assert report.scan_error.startswith("SettingsError: NETWORK_RANGES: 'localhost' is not an IPv4")
    assert agent.store.latest_scan(RUN_KEY, "run") is None and report.checked_in


def test_network_cycle_broken_inventory_reported_nothing_scanned(central, scan_agent, tmp_path):
    bad = tmp_path / "inventory.json"
    bad.write_text('{"devices": [{"name": "fd", "ip": "not-an-ip"}]}')
    fake = FakeScanner(_host(TELNET))
    report = scan_agent(fake, inventory_file=bad).cycle()
    assert report.scan_error.startswith("InventoryError: inventory") and "'ip'" in report.scan_error
    assert fake.calls == 0


def test_network_cycle_inventory_file_merged_with_managed_targets(central, scan_agent, tmp_path):
    state, _ = central
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"devices": [{"name": "front-desk", "mac": "00:11:22:33:44:55"}]}))
    agent = scan_agent(FakeScanner(_host()), inventory_file=inventory)
    assert agent.cycle().outcomes == {"L3:escalated": 1}  # 127.0.0.1 is in neither the file nor the targets
    (incident,) = _network(state, "incident")
    assert (incident["check_type"], incident["severity"]) == ("net_unknown_device", "medium")
    agent.store.put_target(host="127.0.0.1", port=22, platform="linux", distro=None, credential_id=None, sealed=None)
    report = agent.cycle()  # now a managed target: known
    assert report.outcomes == {"resolved": 1}
    assert {r["check_type"]: r["status"] for r in _network(state, "check_result")}["net_unknown_device"] == "pass"


def test_network_cycle_agent_reads_scan_table_of_its_config_file(central, tmp_path):
    state, server = central
    cfg = tmp_path / "agent.toml"
    cfg.write_text(f'[agent]\nsite_id = "{state.site_id}"\n[scan]\nnetwork_ranges = "{LOOPBACK}"\nscan_interval = 900\n')
    settings = load_settings(cfg, mcp_url=server.url, api_key=state.api_key, server_pubkey=state.public_key_text,
                             state_dir=tmp_path / "agent")
    agent = Agent(settings, targets=[])  # no cycle: that would run nmap
    try:
        assert (agent.scan_settings.network_ranges, agent.scan_settings.scan_interval) == (LOOPBACK, 900)
        assert agent.network.due()
    finally:
        agent.close()


# --- live: nmap on 127.0.0.1 against the real Central Command ------------------------------------------------


def _query(pg_url: str, sql: str, *args) -> list[dict]:
    """Rows as dicts, from a helper thread (never asyncio.run on the test thread)."""
    out: list[list[dict]] = []

    async def fetch() -> None:
        conn = await asyncpg.connect(pg_url)
        try:
            out.append([dict(r) for r in await conn.fetch(sql, *args)])
        finally:
            await conn.close()

    thread = threading.Thread(target=lambda: asyncio.run(fetch()))
    thread.start()
    thread.join()
    assert out, "query failed (see the thread's traceback above)"
    return out[0]


@pytest.fixture
def cc(pg_url, tmp_path):
    central = RealCentral(pg_url, tmp_path / "cc").start()
    yield central
    central.stop()


@pytest.mark.e2e
def test_network_cycle_live_nmap_loopback_telnet_escalated_once(cc, pg_url, tmp_path):
    if shutil.which("nmap") is None:
        pytest.fail("nmap is not installed (apt-get install -y nmap)")
    p = cc.provision()
    settings = AgentSettings(site_id=p["site_id"], mcp_url=cc.url, api_key=p["api_key"],
                             server_pubkey=p["signing_public_key"], state_dir=tmp_path / "agent", poll_interval=0,
                             backoff_base=0.01, backoff_max=0.05, http_timeout=5)
    listeners = Listeners()
    telnet = listeners.ports["telnet"]
    # Exactly 127.0.0.1, exactly the fake telnet's port, no UDP, no DNS: nothing else is touched.
    scan = ScanSettings(network_ranges=LOOPBACK, scan_tcp_ports=str(telnet), scan_udp_ports="",
                        scan_resolve_names=False, scan_interval=0.001, scan_timeout=120)
    agent = Agent(settings, targets=[], scan_settings=scan)
    try:
        first = agent.cycle()
        assert first.scan_error is None and first.scan["hosts"] == 1 and first.scan["failed"] == 1
        assert first.outcomes == {"L3:escalated": 1} and first.outbox_depth == 0
        second = agent.cycle()
        assert second.scan is not None and second.outcomes == {} and second.outbox_depth == 0
        run = agent.store.latest_scan(RUN_KEY, "run")
        assert run["ranges"] == [LOOPBACK] and " -n " in run["arguments"] and run["arguments"].endswith(f" -p {telnet}")
        print(f"\nnmap -sV of 127.0.0.1:{telnet}: {first.scan['elapsed_s']:.2f} s, {second.scan['elapsed_s']:.2f} s; "
              f"cycles {first.duration_ms:.0f} ms, {second.duration_ms:.0f} ms")
    finally:
        agent.close()
        listeners.close()

    site = p["site_id"]
    scans = _query(pg_url, "SELECT ip, in_inventory, payload FROM device_scans WHERE site_id = $1::uuid", site)
    assert len(scans) == 2 and {s["ip"] for s in scans} == {"127.0.0.1"}
    ports = json.loads(scans[0]["payload"])["open_ports"]
    assert [(o["port"], o["service"]) for o in ports] == [(telnet, "telnet")]
    results = _query(pg_url, "SELECT check_type, platform, status FROM check_results "
                             "WHERE site_id = $1::uuid AND platform = 'network'", site)
    assert len(results) == NETWORK_CHECKS
    assert {r["check_type"]: r["status"] for r in results}["net_cleartext_remote_access"] == "fail"
    incidents = _query(pg_url, "SELECT incident_id, check_type, platform, severity FROM incidents "
                               "WHERE site_id = $1::uuid", site)
    assert [(i["check_type"], i["platform"], i["severity"]) for i in incidents] == [
        ("net_cleartext_remote_access", "network", "high")]
    escalations = _query(pg_url, "SELECT incident_id, check_type, reason, status FROM escalations "
                                 "WHERE site_id = $1::uuid", site)
    assert len(escalations) == 1 and escalations[0]["incident_id"] == incidents[0]["incident_id"]
    assert "L1-NETWORK-001" in escalations[0]["reason"] and escalations[0]["status"] != "resolved"
    outcomes = _query(pg_url, "SELECT tier, status, rule_id FROM healing_outcomes WHERE site_id = $1::uuid", site)
    assert [(o["tier"], o["status"], o["rule_id"]) for o in outcomes] == [("L3", "escalated", "L1-NETWORK-001")]


def test_network_cycle_simulated_fleet_never_scans_whatever_the_environment(central, monkeypatch, tmp_path):
    from agent.simulation import ApplianceSpec, Fleet

    state, server = central
    monkeypatch.setenv("NETWORK_RANGES", LOOPBACK)
    monkeypatch.setenv("MSP_NETWORK_RANGES", LOOPBACK)
    spec = ApplianceSpec(site_id=state.site_id, api_key=state.api_key, hosts="linux:1")
    with Fleet(server.url, state.public_key_text, [spec], tmp_path / "fleet", seed=1) as fleet:
        assert not fleet.agents[0].scan_settings.enabled
        (report,) = fleet.cycle()
    assert report.scan is None and report.scan_error is None and _events(state, "device_scan") == []
