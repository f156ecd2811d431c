"""Telemetry ingest through `POST /api/agent/telemetry`: COPY + merge against one INSERT per event.

    .venv/bin/python benchmarks/ingest_api.py [--events 20000] [--batch 2000] [--seed 7]

Two real `osiris serve` processes, each on its own fresh database, differ only in
`OSIRIS_TELEMETRY_INGEST` (copy: the product path; insert: the row-by-row baseline). Both receive the
same pre-serialised batches (a seeded mix of incidents, check results, L2 decisions and healing
outcomes) over HTTP, one request at a time, then the same batches again (all duplicates). Wall time
covers the HTTP requests only. Prints one JSON object with events/s per mode and their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import httpx
from _central import admin_token, fresh_database, osiris_serve, provision

from contracts.incidents import CheckResult, HealingOutcome, Incident, L2Decision
from contracts.telemetry import EventKind, event

CHECKS = ("firewall_status", "bitlocker", "smb1_enabled", "ssh_root_login", "av_signatures", "screen_lock")
PLATFORMS = ("windows", "ubuntu", "nixos", "macos")


def make_events(site_id: str, n: int, seed: int) -> list[dict]:
    """A seeded mix of the four busiest kinds, as JSON-ready dicts."""
    rng = random.Random(seed)
    out: list[dict] = []
    while len(out) < n:
        check, platform = rng.choice(CHECKS), rng.choice(PLATFORMS)
        inc = Incident(site_id=site_id, host=f"pc-{rng.randrange(500)}", check_type=check, platform=platform,
                       details={"profile": rng.choice(("domain", "private", "public")), "enabled": False})
        out.append(event(EventKind.INCIDENT, inc).model_dump(mode="json"))
        out.append(event(EventKind.CHECK_RESULT, CheckResult(
            site_id=site_id, host=inc.host, check_type=check, platform=platform, status="fail")).model_dump(mode="json"))
        dec = L2Decision(incident_id=inc.incident_id, site_id=site_id, runbook_id="RB-WIN-FIREWALL-001",
                         confidence=rng.random(), pattern_signature=inc.pattern_signature, cost_usd=0.001)
        out.append(event(EventKind.L2_DECISION, dec).model_dump(mode="json"))
        out.append(event(EventKind.HEALING_OUTCOME, HealingOutcome(
            incident_id=inc.incident_id, site_id=site_id, tier="L2", status="healed",
            pattern_signature=inc.pattern_signature)).model_dump(mode="json"))
    return out[:n]


def run_mode(mode: str, n: int, batch: int, seed: int) -> dict:
    """Ingest n events in batches through a server in `mode`; then replay them all."""
    with fresh_database(f"osiris_bench_ingest_{mode}") as db, osiris_serve(db, telemetry_ingest=mode) as base:
        site, _, key = provision(base, admin_token(db))
        events = make_events(site, n, seed)
        bodies = [json.dumps({"events": events[i:i + batch]}).encode() for i in range(0, n, batch)]
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with httpx.Client(base_url=base, timeout=600, headers=headers) as client:
            timings = {}
            for phase, expect in (("new", "accepted"), ("replay", "duplicates")):
                counted = 0
                start = time.perf_counter()
                for body in bodies:
                    r = client.post("/api/agent/telemetry", content=body)
                    r.raise_for_status()
                    counted += r.json()[expect]
                seconds = time.perf_counter() - start
                assert counted == n, f"{mode} {phase}: {counted} of {n} counted as {expect}"
                timings[phase] = {"seconds": round(seconds, 3), "events_per_s": round(n / seconds)}
        return timings


def main() -> None:
    """Run both modes on the same workload and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    copy = run_mode("copy", args.events, args.batch, args.seed)
    insert = run_mode("insert", args.events, args.batch, args.seed)
    print(json.dumps({
        "benchmark": "telemetry_ingest_api",
        "events": args.events,
        "batch_size": args.batch,
        "copy": copy,
        "row_by_row_insert": insert,
        "ratio_copy_over_insert": {
            phase: round(copy[phase]["events_per_s"] / insert[phase]["events_per_s"], 2) for phase in copy
        },
    }))


if __name__ == "__main__":
    main()
