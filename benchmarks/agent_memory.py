"""Resident memory of one agent over 1,000 cycles against simulated hosts and a stub Central Command.

The stub runs in its own process; the agent runs on a virtual clock that advances one poll interval
(60 s) per cycle, so 1,000 cycles behave like ~17 hours of an appliance's life.

Prints JSON: RSS after start-up and after 10, 100, 500 and 1,000 cycles, and the growth from cycle
100 (warm: every code path loaded, caches full) to cycle 1,000 as a ratio, measured in this run.
`python benchmarks/agent_memory.py [--cycles N] [--hosts windows:4,linux:4]`
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path

from _agent_common import StubProcess, rss_kib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--hosts", default="windows:4,linux:4")
    parser.add_argument("--drift-rate", type=float, default=0.01)
    args = parser.parse_args()

    stub = StubProcess()
    try:
        from agent.agent import Agent
        from agent.settings import AgentSettings
        from agent.simulation import VirtualClock

        base = rss_kib()
        with tempfile.TemporaryDirectory() as tmp:
            env = stub.env(Path(tmp))
            settings = AgentSettings(
                site_id=env["MSP_SITE_ID"], mcp_url=env["MSP_MCP_URL"], api_key=env["MSP_API_KEY"],
                server_pubkey=env["MSP_SERVER_PUBKEY"], state_dir=Path(tmp), simulate=args.hosts, sim_seed=42,
                sim_drift_rate=args.drift_rate, sim_failure_rate=0.05, sim_flap_rate=0.02, poll_interval=0,
                check_report_interval=3600,
            )
            clock = VirtualClock()
            agent = Agent(settings, clock=clock)
            samples = {"after_import_kib": base, "after_start_kib": rss_kib()}
            totals = {"checks": 0, "outcomes": 0, "flushed": 0}
            outcomes: dict[str, int] = {}
            start = time.perf_counter()
            for i in range(1, args.cycles + 1):
                report = agent.cycle()
                clock.advance(60)
                totals["checks"] += report.checks
                totals["outcomes"] += sum(report.outcomes.values())
                for key, n in report.outcomes.items():
                    outcomes[key] = outcomes.get(key, 0) + n
                totals["flushed"] += report.flushed
                if i in (10, 100, 500, args.cycles):
                    gc.collect()
                    samples[f"after_{i}_cycles_kib"] = rss_kib()
            elapsed = time.perf_counter() - start
            db_bytes = settings.db_path.stat().st_size
            agent.close()
    finally:
        stub.stop()
    warm = samples.get("after_100_cycles_kib") or samples["after_start_kib"]
    print(json.dumps({
        "benchmark": "agent_memory", "cycles": args.cycles, "hosts": args.hosts, **samples,
        "growth_ratio_100_to_end": round(samples[f"after_{args.cycles}_cycles_kib"] / warm, 3),
        "rss_end_mib": round(samples[f"after_{args.cycles}_cycles_kib"] / 1024, 1),
        "ms_per_cycle": round(elapsed * 1000 / args.cycles, 2), "db_bytes": db_bytes, **totals,
        "outcomes_by_kind": outcomes,
    }))


if __name__ == "__main__":
    main()
