"""CVE matching speed: every record of shared/data/nvd/cves.jsonl against a synthetic fleet.

The fleet is seeded: each device gets one OS and several applications drawn from the products the
records name (weighted by how many CVEs name them, as popular software is), at versions taken from
the records' pinned versions and range bounds or nudged just past them. The indexed matcher runs on
the whole fleet; the brute-force reference (`match_naive`: every device x configuration x entry x
installed CPE) runs on a sample in the same process, and its time is extrapolated to the fleet
(labelled as such). Prints one JSON object.

    .venv/bin/python benchmarks/cve_match.py [--devices 10000] [--sample 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter

from warehouse.cve_match import CveIndex, match_naive
from warehouse.feeds import nvd
from warehouse.settings import reference_data_dir


def _nudge(version: str, rng: random.Random) -> str:
    """A version next to a bound: the last number one up or down (1.0.1g stays as it is)."""
    numbers = list(re.finditer(r"\d+", version))
    if not numbers or rng.random() < 0.5:
        return version
    last = numbers[-1]
    value = max(0, int(last.group()) + rng.choice((-1, 1)))
    return version[: last.start()] + str(value) + version[last.end():]


def synthetic_inventory(records: nvd.NvdRecords, devices: int, seed: int) -> list[tuple[str, str]]:
    """(device_id, cpe) rows: one OS and 5-12 applications per device, seeded."""
    rng = random.Random(seed)
    popularity: Counter[tuple[str, str, str]] = Counter()
    versions: dict[tuple[str, str, str], set[str]] = {}
    for m in records.cpe_matches:
        key = (m["part"], m["vendor"], m["product"])
        popularity[key] += 1
        found = versions.setdefault(key, set())
        for field in ("version", "version_start_including", "version_start_excluding",
                      "version_end_including", "version_end_excluding"):
            value = m[field]
            if value and value not in ("*", "-") and "\\" not in value and "*" not in value:
                found.add(value)
    ranked = {part: [k for k, _ in popularity.most_common() if k[0] == part and versions[k]] for part in "ao"}
    weights = {part: [popularity[k] for k in ranked[part]] for part in "ao"}
    rows = []
    for d in range(devices):
        device = f"dev-{d:05d}"
        chosen = rng.choices(ranked["o"], weights["o"], k=1)
        chosen += rng.choices(ranked["a"], weights["a"], k=rng.randint(5, 12))
        for key in dict.fromkeys(chosen):
            version = _nudge(rng.choice(sorted(versions[key])), rng)
            rows.append((device, f"cpe:2.3:{key[0]}:{key[1]}:{key[2]}:{version}:*:*:*:*:*:*:*"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=20, help="devices the brute-force baseline runs on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="indexed runs; the best is reported")
    args = parser.parse_args()
    data = reference_data_dir()
    if data is None:
        raise SystemExit("error: reference data not found; set OSIRIS_SHARED_DATA")

    t0 = time.perf_counter()
    records = nvd.load(data / "nvd" / "cves.jsonl")
    parse_s = time.perf_counter() - t0
    inventory = synthetic_inventory(records, args.devices, args.seed)

    t0 = time.perf_counter()
    index = CveIndex.from_records(records)
    build_s = time.perf_counter() - t0
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        table = index.match_table(inventory)
        runs.append(time.perf_counter() - t0)
    match_s = min(runs)
    t0 = time.perf_counter()
    matches = index.match(inventory)
    dicts_s = time.perf_counter() - t0
    assert table.num_rows == len(matches)

    sample_ids = {f"dev-{d:05d}" for d in random.Random(args.seed + 1).sample(range(args.devices), args.sample)}
    sample = [row for row in inventory if row[0] in sample_ids]
    t0 = time.perf_counter()
    naive = match_naive(records, sample)
    naive_s = time.perf_counter() - t0
    naive_full_s = naive_s * args.devices / args.sample
    indexed_sample = [m for m in matches if m["device_id"] in sample_ids]

    print(json.dumps({
        "benchmark": "cve_match",
        "records": len(records.cves),
        "cpe_match_entries": len(records.cpe_matches),
        "distinct_entries": len(index.entries),
        "configurations": len(index.configs),
        "devices": args.devices,
        "inventory_rows": len(inventory),
        "distinct_installed_cpes": len(set(cpe for _, cpe in inventory)),
        "matches": len(matches),
        "devices_with_matches": len({m["device_id"] for m in matches}),
        "parse_seconds": round(parse_s, 3),
        "index_build_seconds": round(build_s, 3),
        "match_seconds": round(match_s, 3),
        "match_seconds_runs": [round(r, 3) for r in runs],
        "match_seconds_what": "CveIndex.match_table (Arrow columns) on the whole fleet, best of runs",
        "match_list_of_dicts_seconds": round(dicts_s, 3),
        "baseline": "brute force (match_naive) on a sample, extrapolated linearly to the fleet",
        "baseline_sample_devices": args.sample,
        "baseline_sample_seconds": round(naive_s, 3),
        "baseline_extrapolated_seconds": round(naive_full_s, 1),
        "match_seconds_cold": round(runs[0], 3),  # first run: CPE / version caches still empty
        "speedup_vs_baseline": round(naive_full_s / (build_s + match_s), 1),
        "speedup_vs_baseline_cold": round(naive_full_s / (build_s + runs[0]), 1),
        "sample_results_agree": naive == indexed_sample,
        "seed": args.seed,
    }))


if __name__ == "__main__":
    main()
