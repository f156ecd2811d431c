"""Evidence through Central Command: signed bundles ingested (signature verified, chained per site)
against plain check-result events of the same size, plus the appliance's cost to make a bundle.

    .venv/bin/python benchmarks/evidence_ingest.py [--events 20000] [--batch 500] [--seed 7]

One real `osiris serve` on a fresh database; one appliance registers its Ed25519 evidence key. The
same number of evidence bundles and of check results (the baseline: same transport, same COPY and
merge, no signature and no chain) are posted in alternating batches over HTTP, so a busy machine
slows both alike; wall time covers the HTTP requests only. Then `GET /api/sites/{id}/evidence/chain`
re-verifies the whole chain (signatures, hashes, links). On the appliance side: building, scrubbing
and signing one check-run bundle (`agent.evidence`) against building the check-result event it
accompanies. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import random
import time

import httpx
import nacl.signing
from _central import admin_token, fresh_database, osiris_serve, provision

from agent.evidence import check_bundle, evidence_event
from contracts.evidence import sign_bundle
from contracts.incidents import CheckResult
from contracts.telemetry import EventKind, event

CHECKS = ("firewall_status", "bitlocker", "smb1_enabled", "ssh_root_login", "av_signatures", "screen_lock")


def _results(site: str, appliance: str, n: int, seed: int) -> list[CheckResult]:
    rng = random.Random(seed)
    return [CheckResult(site_id=site, appliance_id=appliance, host=f"pc-{rng.randrange(500)}",
                        check_type=rng.choice(CHECKS), platform="windows", status=rng.choice(("pass", "fail")),
                        details={"profile": rng.choice(("domain", "private", "public")), "enabled": rng.random() < .5,
                                 "rules": rng.randrange(40)}) for _ in range(n)]


def _appliance_costs(results: list[CheckResult], key: nacl.signing.SigningKey, appliance: str) -> dict:
    start = time.perf_counter()
    for r in results:
        event(EventKind.CHECK_RESULT, r)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    for r in results:
        evidence_event(sign_bundle(check_bundle(r, appliance), key))
    made = time.perf_counter() - start
    start = time.perf_counter()
    bundles = [check_bundle(r, appliance) for r in results]
    built = time.perf_counter() - start
    start = time.perf_counter()
    for b in bundles:
        sign_bundle(b, key)
    signing = time.perf_counter() - start
    n = len(results)
    return {"check_result_event_us": round(baseline / n * 1e6, 1), "evidence_event_us": round(made / n * 1e6, 1),
            "of_which_build_and_scrub_us": round(built / n * 1e6, 1), "of_which_sign_us": round(signing / n * 1e6, 1),
            "ratio_evidence_over_check_result": round(made / baseline, 2)}


def run(n: int, batch: int, seed: int) -> dict:
    """Ingest both kinds in alternating batches; then re-verify the chain through the API."""
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(fresh_database("osiris_bench_evidence"))
        base = stack.enter_context(osiris_serve(db))
        site, appliance, api_key = provision(base, admin_token(db))
        client = stack.enter_context(httpx.Client(base_url=base, timeout=600, headers={
            "Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}))
        key = nacl.signing.SigningKey.generate()
        client.put("/api/appliances/me/keys", json={
            "signing_public_key": base64.b64encode(bytes(key.verify_key)).decode()}).raise_for_status()
        results = _results(site, appliance, n, seed)
        costs = _appliance_costs(results[: min(n, 5000)], key, appliance)
        kinds = {
            "evidence_bundle": [evidence_event(sign_bundle(check_bundle(r, appliance), key)).model_dump(mode="json")
                                for r in results],
            "check_result": [event(EventKind.CHECK_RESULT, r).model_dump(mode="json") for r in results],
        }
        bodies = {k: [json.dumps({"events": v[i:i + batch]}).encode() for i in range(0, n, batch)]
                  for k, v in kinds.items()}
        seconds = dict.fromkeys(kinds, 0.0)
        order = list(kinds)
        for i in range(len(bodies["check_result"])):
            for kind in order if i % 2 == 0 else order[::-1]:
                start = time.perf_counter()
                r = client.post("/api/agent/telemetry", content=bodies[kind][i])
                seconds[kind] += time.perf_counter() - start
                r.raise_for_status()
                assert r.json()["accepted"] == len(kinds[kind][i * batch:(i + 1) * batch])
        admin = {"Authorization": f"Bearer {admin_token(db)}"}
        start = time.perf_counter()
        status = httpx.get(f"{base}/api/sites/{site}/evidence/chain", params={"limit": n}, headers=admin,
                           timeout=600).json()
        walk = time.perf_counter() - start
        assert status["intact"] and status["length"] == n, status
        rate = {k: round(n / s) for k, s in seconds.items()}
        return {
            "ingest_events_per_s": rate,
            "ratio_evidence_over_check_result": round(rate["evidence_bundle"] / rate["check_result"], 2),
            "chain_status_walk": {"bundles": n, "seconds": round(walk, 3), "bundles_per_s": round(n / walk)},
            "appliance": costs,
        }


def main() -> None:
    """Run and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps({"benchmark": "evidence_ingest", "events": args.events, "batch_size": args.batch,
                      **run(args.events, args.batch, args.seed)}))


if __name__ == "__main__":
    main()
