"""The demo's appliances: the real agent code, one per office, looking after simulated hosts.

Only the hosts are simulated (`SimulatedHost` answers the catalog's real scripts); the agents check
in, verify orders and bundles, heal, ask L2, escalate and send telemetry to Central Command over
HTTP exactly as on an office network. A virtual clock makes one cycle stand for a day.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agent.agent import Agent, CycleReport
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.netscan import scanning_off
from agent.runbooks import catalog
from agent.settings import AgentSettings
from agent.simulation import VirtualClock
from cli.demo.fleet import Office

DAY = 86_400.0


class DemoFleet:
    """One appliance per office, cycled together on a shared virtual clock."""

    def __init__(self, url: str, server_pubkey: str, offices: list[Office], keys: list[tuple[str, str]],
                 base_dir: Path, *, seed: int, drift_rate: float, failure_rate: float = 0.03,
                 flap_rate: float = 0.0):
        self.clock = VirtualClock()
        self.agents: list[Agent] = []
        runbooks = catalog()
        for i, (office, (site_id, api_key)) in enumerate(zip(offices, keys, strict=True)):
            targets = [
                Target(host=d.host, platform=d.platform, labels={"kind": "simulated", "role": d.role},
                       executor=SimulatedHost(d.host, d.platform, runbooks, seed=seed * 1000 + i,
                                              drift_rate=drift_rate, failure_rate=failure_rate,
                                              flap_rate=flap_rate))
                for d in office.devices
            ]
            settings = AgentSettings(
                site_id=site_id, mcp_url=url, api_key=api_key, server_pubkey=server_pubkey,
                state_dir=base_dir / f"appliance-{i:02d}", hostname=f"osiris-appliance-{i + 1:02d}",
                poll_interval=0, check_report_interval=DAY, outbox_batch_size=5000,
                flap_window=3 * DAY, flap_suppress_for=7 * DAY, breaker_cooldown=DAY,
                tls_verify=False,  # plain HTTP on 127.0.0.1: there is no TLS to verify
                log_level="WARNING",
            )
            # Simulated offices never scan, even with NETWORK_RANGES set for a real appliance.
            self.agents.append(Agent(settings, targets=targets, catalog=runbooks, clock=self.clock,
                                     scan_settings=scanning_off()))

    def cycle(self, workers: int = 4) -> list[CycleReport]:
        """One day: every appliance runs one cycle; then the clock moves a day on."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            reports = list(pool.map(lambda a: a.cycle(), self.agents))
        self.clock.advance(DAY)
        return reports

    def run(self, days: int) -> Counter:
        """Run `days` cycles; returns the outcomes counted by tier/status."""
        totals: Counter = Counter()
        for _ in range(days):
            for report in self.cycle():
                totals.update(report.outcomes)
        return totals

    def drain(self) -> int:
        """Flush every outbox now; returns events still waiting."""
        for agent in self.agents:
            agent.outbox.flush(agent.central.send_telemetry, batch_size=5000, force=True)
        return sum(a.outbox.depth() for a in self.agents)

    def bundle_versions(self) -> list[int]:
        """The verified bundle version each appliance holds."""
        return [a.rules.version for a in self.agents]

    def close(self) -> None:
        """Close every appliance."""
        for agent in self.agents:
            agent.close()
