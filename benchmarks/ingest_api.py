"""Telemetry ingest through `POST /api/agent/telemetry`: COPY + merge against one INSERT per event.

    .venv/bin/python benchmarks/ingest_api.py [--events 20000] [--batch 2000] [--seed 7]

Two real `osiris serve` processes, each on its own fresh database, differ only in
`OSIRIS_TELEMETRY_INGEST` (copy: the product path; insert: the row-by-row baseline). Both receive the
same pre-serialised batches (a seeded mix of incidents, check results, L2 decisions and healing
outcomes) over HTTP, one request at a time, alternating between the servers batch by batch so a
busy machine slows both alike; then the same batches again (all duplicates). Wall time covers the
HTTP requests only. Prints one JSON object with events/s per mode and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
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


def run(n: int, batch: int, seed: int) -> dict[str, dict]:
    """Both servers at once; every batch goes to one then the other, so load drift hits both alike."""
    modes = ("copy", "insert")
    with contextlib.ExitStack() as stack:
        clients = {}
        for mode in modes:
            db = stack.enter_context(fresh_database(f"osiris_bench_ingest_{mode}"))
            base = stack.enter_context(osiris_serve(db, telemetry_ingest=mode))
            site, _, key = provision(base, admin_token(db))
            # The same events for both, but each server's own site id in the payloads.
            events = make_events(site, n, seed)
            bodies = [json.dumps({"events": events[i:i + batch]}).encode() for i in range(0, n, batch)]
            client = stack.enter_context(httpx.Client(
                base_url=base, timeout=600,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}))
            clients[mode] = (client, bodies)
        out: dict[str, dict] = {m: {} for m in modes}
        for phase, expect in (("new", "accepted"), ("replay", "duplicates")):
            seconds = dict.fromkeys(modes, 0.0)
            counted = dict.fromkeys(modes, 0)
            for i in range(len(clients["copy"][1])):
                for mode in modes if i % 2 == 0 else modes[::-1]:
                    client, bodies = clients[mode]
                    start = time.perf_counter()
                    r = client.post("/api/agent/telemetry", content=bodies[i])
                    seconds[mode] += time.perf_counter() - start
                    r.raise_for_status()
                    counted[mode] += r.json()[expect]
            for mode in modes:
                assert counted[mode] == n, f"{mode} {phase}: {counted[mode]} of {n} counted as {expect}"
                out[mode][phase] = {"seconds": round(seconds[mode], 3), "events_per_s": round(n / seconds[mode])}
        return out


def main() -> None:
    """Run both modes on the same workload and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results = run(args.events, args.batch, args.seed)
    copy, insert = results["copy"], results["insert"]
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
