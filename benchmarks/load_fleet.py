"""A fleet of simulated appliances checking in, syncing and sending telemetry against one `osiris serve`.

    .venv/bin/python benchmarks/load_fleet.py [--appliances 1000] [--seconds 60] [--concurrency 96]
        [--max-requests 2000000] [--events 5] [--baseline-seconds 10]

Everything runs on this machine, on 127.0.0.1 only: an embedded Postgres in a temporary directory,
`osiris serve` as its own process (one uvicorn worker, the shipped Postgres pool size unless
`--pool-max-size`, per-appliance rate limits raised so the limiter does not shape the figures - all
stated in the output), and this process as the fleet: `--concurrency` asyncio workers on httpx
clients of 8 connections each. Each worker takes the next
appliance round-robin and does what an agent's cycle does over HTTP: check in, `GET /api/agent/sync`
with the ETag it holds (200 once, then 304), and post a small telemetry batch. It stops at
`--seconds` or `--max-requests`, whichever comes first.

The baseline, measured in the same run with the same client and concurrency, is `GET /healthz`
(no database, no auth): the figures are also given as a ratio to it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONNECTIONS_PER_CLIENT = 8
RATE_LIMIT = 1_000_000
"""OSIRIS_RATE_LIMIT_PER_SECOND and _BURST (set by `_central.osiris_serve`): the per-appliance limiter is not
under test."""


@dataclass
class Appliance:
    """One simulated appliance: its key, its site, the bundle ETag it holds."""

    key: str
    site_id: str
    etag: str | None = None


@dataclass
class Stats:
    """Latencies (ms) and outcomes per endpoint."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    requests: int = 0
    accepted_events: int = 0

    def record(self, name: str, started: float, outcome: str) -> None:
        """One finished request."""
        self.latency[name].append((time.perf_counter() - started) * 1000)
        self.outcomes[name][outcome] += 1
        self.requests += 1


async def _call(stats: Stats, name: str, request, ok: tuple[int, ...] = (200,)) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        stats.record(name, started, type(exc).__name__)
        return None
    stats.record(name, started, str(response.status_code))
    return response if response.status_code in ok else None


async def provision(client: httpx.AsyncClient, admin: str, appliances: int, per_site: int) -> list[Appliance]:
    """Sites and appliances through the admin API, `per_site` requests at a time."""
    headers = {"Authorization": f"Bearer {admin}"}

    async def one_site(s: int) -> list[Appliance]:
        r = await client.post("/api/sites", json={"name": f"Load Clinic {s + 1}"}, headers=headers)
        r.raise_for_status()
        site = r.json()["id"]
        count = min(per_site, appliances - s * per_site)
        made = await asyncio.gather(*(client.post(f"/api/sites/{site}/appliances", json={"name": f"a-{s}-{i}"},
                                                  headers=headers) for i in range(count)))
        for r in made:
            r.raise_for_status()
        return [Appliance(r.json()["api_key"], site) for r in made]

    sites = -(-appliances // per_site)
    out: list[Appliance] = []
    for first in range(0, sites, 8):  # 8 sites x 10 appliances in flight at a time
        for made in await asyncio.gather(*(one_site(s) for s in range(first, min(first + 8, sites)))):
            out.extend(made)
    return out


def _telemetry(site_id: str, n: int) -> bytes:
    events = []
    for i in range(n):
        eid = str(uuid.uuid4())
        events.append({"event_id": eid, "kind": "check_result", "payload": {
            "event_id": eid, "site_id": site_id, "host": f"ws-{i}", "check_type": "firewall_status",
            "platform": "windows", "status": "pass"}})
    return json.dumps({"events": events}, separators=(",", ":")).encode()


CHECKIN = json.dumps({"hostname": "load-appliance", "agent_version": "bench", "platform": "linux"}).encode()
JSON = {"Content-Type": "application/json"}


async def visit(client: httpx.AsyncClient, a: Appliance, stats: Stats, events: int) -> None:
    """What one agent cycle sends: check-in, conditional sync, one telemetry batch."""
    auth = {"Authorization": f"Bearer {a.key}"}
    await _call(stats, "checkin", client.post("/api/appliances/checkin", content=CHECKIN, headers=auth | JSON))
    sync_headers = auth | ({"If-None-Match": a.etag} if a.etag else {})
    r = await _call(stats, "sync", client.get("/api/agent/sync", headers=sync_headers), ok=(200, 304))
    if r is not None and r.status_code == 200:
        a.etag = r.headers.get("ETag")
    r = await _call(stats, "telemetry", client.post("/api/agent/telemetry", content=_telemetry(a.site_id, events),
                                                    headers=auth | JSON))
    if r is not None:
        stats.accepted_events += r.json()["accepted"]


async def drive(clients: list[httpx.AsyncClient], work, concurrency: int, seconds: float, max_requests: int,
                stats: Stats) -> float:
    """Run `work(client, i)` from `concurrency` workers until the time or request budget is spent.

    Worker w uses `clients[w % len(clients)]`. Returns the seconds it ran.
    """
    counter = itertools.count()
    start = time.perf_counter()
    until = start + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < until and stats.requests < max_requests:
            await work(client, next(counter))

    await asyncio.gather(*(worker(clients[w % len(clients)]) for w in range(concurrency)))
    return time.perf_counter() - start


def _summary(latencies: list[float], outcomes: Counter, seconds: float, ok: tuple[str, ...] = ("200",)) -> dict:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"requests": len(latencies), "requests_per_s": round(len(latencies) / seconds, 1),
            "p50_ms": round(cuts[49], 2), "p90_ms": round(cuts[89], 2), "p99_ms": round(cuts[98], 2),
            "max_ms": round(max(latencies), 2), "statuses": dict(outcomes),
            "errors": sum(n for k, n in outcomes.items() if k not in ok)}


class CpuMeter:
    """CPU seconds spent by this process (the fleet), the server and Postgres (postmaster and backends)."""

    def __init__(self, server: psutil.Process, pgdata: Path):
        self._server = server
        self._postmaster = next(p for p in psutil.process_iter(["name", "cmdline"])
                                if p.info["name"] == "postgres" and str(pgdata) in " ".join(p.info["cmdline"] or []))
        self._start = self._now()

    @staticmethod
    def _cpu(procs: list[psutil.Process]) -> dict[int, float]:
        out = {}
        for p in procs:
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                out[p.pid] = times.user + times.system
        return out

    def _now(self) -> dict[str, dict[int, float]]:
        return {"fleet_client": self._cpu([psutil.Process()]), "osiris_serve": self._cpu([self._server]),
                "postgres": self._cpu([self._postmaster, *self._postmaster.children(recursive=True)])}

    def used(self) -> dict[str, float]:
        """CPU seconds per part since the meter was made (a process that started since counts in full)."""
        now = self._now()
        return {name: sum(t - self._start[name].get(pid, 0.0) for pid, t in pids.items())
                for name, pids in now.items()}


async def run(args: argparse.Namespace, base: str, admin: str, pg_url: str, server: psutil.Process,
              pgdata: Path) -> dict:
    """Provision, measure the baseline, drive the fleet; the result as a dict."""
    # Several small pools rather than one big one: httpcore's pool does work per request that grows
    # with its connection count, which made one 96-connection client the bottleneck of the run.
    pools = max(1, -(-args.concurrency // CONNECTIONS_PER_CLIENT))
    limits = httpx.Limits(max_connections=CONNECTIONS_PER_CLIENT, max_keepalive_connections=CONNECTIONS_PER_CLIENT)
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=base, limits=limits, timeout=30))
                   for _ in range(pools)]
        began = time.perf_counter()
        fleet = await provision(clients[0], admin, args.appliances, per_site=10)
        provisioning = time.perf_counter() - began
        r = await clients[0].post("/api/bundles", json={"rules": _rules()},
                                  headers={"Authorization": f"Bearer {admin}"})
        r.raise_for_status()

        base_stats = Stats()

        async def health(client: httpx.AsyncClient, _: int) -> None:
            await _call(base_stats, "healthz", client.get("/healthz"))

        base_seconds = await drive(clients, health, args.concurrency, args.baseline_seconds, args.max_requests,
                                   base_stats)
        cpu = CpuMeter(server, pgdata)
        stats = Stats()

        async def cycle(client: httpx.AsyncClient, i: int) -> None:
            await visit(client, fleet[i % len(fleet)], stats, args.events)

        seconds = await drive(clients, cycle, args.concurrency, args.seconds, args.max_requests, stats)
        cpu_share = {name: round(used / seconds, 2) for name, used in cpu.used().items()}
    conn = await asyncpg.connect(pg_url)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM check_results")
    finally:
        await conn.close()
    healthz = _summary(base_stats.latency["healthz"], base_stats.outcomes["healthz"], base_seconds)
    endpoints = {name: _summary(stats.latency[name], stats.outcomes[name], seconds,
                                ok=("200", "304") if name == "sync" else ("200",))
                 for name in ("checkin", "sync", "telemetry")}
    total_rps = stats.requests / seconds
    return {
        "provisioning": {"appliances": len(fleet), "sites": len({a.site_id for a in fleet}),
                         "seconds": round(provisioning, 2), "appliances_per_s": round(len(fleet) / provisioning, 1)},
        "baseline_healthz": healthz,
        "load": {"seconds": round(seconds, 2), "requests": stats.requests, "requests_per_s": round(total_rps, 1),
                 "cycles_per_s": round(endpoints["telemetry"]["requests"] / seconds, 1),
                 "errors": sum(e["errors"] for e in endpoints.values()),
                 "events_accepted": stats.accepted_events, "events_per_s": round(stats.accepted_events / seconds, 1),
                 "events_stored": stored, "cpu_cores_used": cpu_share,
                 "appliances_seen": min(len(fleet), endpoints["telemetry"]["requests"]),
                 "endpoints": endpoints},
        "ratio_to_healthz": {"requests_per_s": round(total_rps / healthz["requests_per_s"], 3),
                             **{f"{n}_p50": round(e["p50_ms"] / healthz["p50_ms"], 1) for n, e in endpoints.items()}},
    }


def _run_loop(coro):
    try:
        import uvloop  # the fleet is one Python process: the faster loop keeps it off the critical path
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _stop_postgres(pgdata: Path) -> None:
    from pgserver._commands import pg_ctl

    # Run as root, pgserver runs Postgres as its own system user; pg_ctl must run as that user too.
    with contextlib.suppress(Exception):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user="pgserver" if os.geteuid() == 0 else None)


def _rules() -> list[dict]:
    return [{"id": f"L1-LOAD-{i:03d}", "priority": i, "source": "promoted", "action": "execute_runbook",
             "runbook_id": "RB-WIN-FIREWALL-001",
             "conditions": [{"field": "check_type", "operator": "eq", "value": f"check_{i}"}]} for i in range(50)]


def main() -> None:
    """Parse arguments, run everything, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appliances", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=96)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--events", type=int, default=5, help="telemetry events per batch")
    parser.add_argument("--pool-max-size", type=int, default=None, help="server's Postgres pool (default: shipped)")
    parser.add_argument("--baseline-seconds", type=float, default=None, help="default: min(10, seconds)")
    args = parser.parse_args()
    if args.baseline_seconds is None:
        args.baseline_seconds = min(10.0, args.seconds)

    from _central import admin_token, osiris_serve

    from serving.settings import Settings
    from warehouse.pg import embedded_url

    if args.pool_max_size is None:
        args.pool_max_size = Settings.model_fields["pool_max_size"].default

    root = Path(tempfile.mkdtemp(prefix="osiris-load-"))
    try:
        pg_url = embedded_url(root / "pg")
        load_before = os.getloadavg()
        with osiris_serve(pg_url, pool_max_size=str(args.pool_max_size)) as base:
            server = next(p for p in psutil.Process().children() if "serve" in p.cmdline())
            admin = admin_token(pg_url)
            result = _run_loop(run(args, base, admin, pg_url, server, root / "pg"))
    finally:
        _stop_postgres(root / "pg")
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({
        "benchmark": "load_fleet",
        "appliances": args.appliances, "concurrency": args.concurrency, "seconds_budget": args.seconds,
        "max_requests": args.max_requests, "events_per_batch": args.events,
        "server": {"process": "osiris serve, 1 uvicorn worker", "postgres": "embedded (pgserver), unix socket",
                   "rate_limit_per_second": RATE_LIMIT, "rate_limit_burst": RATE_LIMIT,
                   "pool_max_size": args.pool_max_size},
        "machine": {"cpus": os.cpu_count(), "loadavg_1m_before": round(load_before[0], 2),
                    "note": "client, server and Postgres share these cores (and other users' work)"},
        **result,
    }))


if __name__ == "__main__":
    main()
