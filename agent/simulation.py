"""Many simulated appliances in one process against a real Central Command (demo, load, tests).

Each appliance is a full `Agent` - its own SQLite store, keys, outbox and Central Command session -
whose targets are `SimulatedHost`s; only the hosts are simulated. Typical use:

    pubkey, specs = provision_fleet(url, admin_token, sites=3)       # or bring your own specs
    with Fleet(url, pubkey, specs, base_dir=tmp, seed=7) as fleet:
        summary = fleet.run(cycles=20)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.agent import Agent, CycleReport
from agent.errors import CentralError
from agent.netscan import scanning_off
from agent.settings import AgentSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplianceSpec:
    """One simulated appliance: where it reports and which hosts it looks after."""

    site_id: str
    api_key: str
    hosts: str = "windows:2,linux:2"
    name: str = ""


@dataclass
class FleetSummary:
    """Totals over every appliance and cycle."""

    cycles: int = 0
    checks: int = 0
    outcomes: Counter = field(default_factory=Counter)
    orders: Counter = field(default_factory=Counter)
    flushed: int = 0
    central_errors: int = 0
    outbox_depth: int = 0

    def add(self, report: CycleReport) -> None:
        """Fold one cycle report in."""
        self.checks += report.checks
        self.outcomes.update(report.outcomes)
        self.orders.update(report.orders)
        self.flushed += report.flushed
        self.central_errors += report.central_error is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready totals."""
        return {"cycles": self.cycles, "checks": self.checks, "outcomes": dict(self.outcomes),
                "orders": dict(self.orders), "flushed": self.flushed, "central_errors": self.central_errors,
                "outbox_depth": self.outbox_depth}


class VirtualClock:
    """A clock that moves only when told: one fleet cycle can stand for a poll interval of real time."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class Fleet:
    """N simulated appliances, cycled together.

    With `seconds_per_cycle`, flap windows, breaker cooldowns and check reports run on a virtual
    clock that advances that much per fleet cycle, so hundreds of fast cycles behave like hours of
    an appliance's life (a heal every few cycles is not mistaken for flapping).
    """

    def __init__(
        self,
        mcp_url: str,
        server_pubkey: str,
        specs: list[ApplianceSpec],
        base_dir: Path,
        *,
        seed: int = 0,
        drift_rate: float = 0.05,
        failure_rate: float = 0.05,
        flap_rate: float = 0.02,
        seconds_per_cycle: float | None = None,
        **settings: Any,
    ):
        self.clock = VirtualClock() if seconds_per_cycle else None
        self.seconds_per_cycle = seconds_per_cycle or 0.0
        self.agents: list[Agent] = []
        for i, spec in enumerate(specs):
            values = dict(
                site_id=spec.site_id, mcp_url=mcp_url, api_key=spec.api_key, server_pubkey=server_pubkey,
                state_dir=Path(base_dir) / f"appliance-{i:03d}", simulate=spec.hosts, sim_seed=seed * 1000 + i,
                sim_drift_rate=drift_rate, sim_failure_rate=failure_rate, sim_flap_rate=flap_rate,
                hostname=spec.name or f"appliance-{i:03d}", poll_interval=0,
            )
            values.update(settings)
            clock = {"clock": self.clock} if self.clock else {}
            # Simulated appliances never scan: NETWORK_RANGES in the environment is for a real one.
            self.agents.append(Agent(AgentSettings(**values), scan_settings=scanning_off(), **clock))

    def cycle(self, *, workers: int = 1) -> list[CycleReport]:
        """One cycle of every appliance (in `workers` threads); reports in appliance order."""
        if workers <= 1:
            reports = [agent.cycle() for agent in self.agents]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                reports = list(pool.map(lambda a: a.cycle(), self.agents))
        if self.clock:
            self.clock.advance(self.seconds_per_cycle)
        return reports

    def run(self, cycles: int, *, workers: int = 1) -> FleetSummary:
        """Run several cycles; returns the totals."""
        summary = FleetSummary()
        for _ in range(cycles):
            for report in self.cycle(workers=workers):
                summary.add(report)
            summary.cycles += 1
        summary.outbox_depth = sum(a.outbox.depth() for a in self.agents)
        return summary

    def drain(self) -> int:
        """Flush every appliance's outbox now, ignoring backoff; returns events still waiting."""
        for agent in self.agents:
            agent.outbox.flush(agent.central.send_telemetry, batch_size=agent.settings.outbox_batch_size, force=True)
        return sum(a.outbox.depth() for a in self.agents)

    def close(self) -> None:
        """Close every appliance."""
        for agent in self.agents:
            agent.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def provision_fleet(
    mcp_url: str,
    admin_token: str,
    *,
    sites: int = 1,
    appliances_per_site: int = 1,
    hosts: str = "windows:2,linux:2",
    site_prefix: str = "Simulated Clinic",
    verify: Any = True,
) -> tuple[str, list[ApplianceSpec]]:
    """Create sites and appliances through Central Command's admin API; returns (server pubkey, specs)."""
    import httpx

    specs: list[ApplianceSpec] = []
    pubkey = ""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=mcp_url, headers=headers, timeout=30, verify=verify) as client:
        for s in range(sites):
            response = client.post("/api/sites", json={"name": f"{site_prefix} {s + 1}"})
            _ok(response)
            site_id = response.json()["id"]
            for a in range(appliances_per_site):
                name = f"sim-appliance-{s + 1:02d}-{a + 1:02d}"
                response = client.post(f"/api/sites/{site_id}/appliances", json={"name": name})
                _ok(response)
                body = response.json()
                pubkey = body["signing_public_key"]
                specs.append(ApplianceSpec(site_id=site_id, api_key=body["api_key"], hosts=hosts, name=name))
    return pubkey, specs


def _ok(response: Any) -> None:
    if response.status_code >= 300:
        raise CentralError(f"{response.request.method} {response.request.url.path}: {response.status_code} "
                           f"{response.text[:300]}")
