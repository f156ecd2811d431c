"""PHI scrubbing speed on 100 KB logs, against a one-regex IP masker measured in the same run.

    .venv/bin/python benchmarks/phi_scrub.py [--kb 100] [--phi-share 0.05] [--repeat 7] [--seed 7]

Logs are built from the labelled corpus (tests/vectors/phi): near-miss lines (IT telemetry without
PHI) with a share of positive lines (HL7, X12, tickets, OCR...). Three texts: clean (no PHI line),
typical (`--phi-share` of the lines hold PHI) and dense (every line holds PHI). The baseline is the
cheapest scrubber there is, one compiled IPv4 `re.sub` over the same text; the ratio says how many
times its cost the full 12-category scrub is. Times are CPU time (process_time), best of `--repeat`,
so other load on the machine moves them less. Also: one incident's fields through `scrub_obj`, and
hostile 100 KB inputs (repeated segment ids, nested URLs, colons...) that must stay linear.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from contracts.phi import Scrubber, scrub

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "phi"
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def _lines(name: str) -> list[str]:
    with open(VECTORS / name, encoding="utf-8") as fh:
        return [json.loads(line)["text"].replace("\r", "\n") for line in fh if line.strip()]


def build_log(kb: int, phi_share: float, seed: int) -> str:
    """About `kb` KB of log lines, `phi_share` of them holding PHI."""
    rng = random.Random(seed)
    clean, dirty = _lines("near_misses.jsonl"), _lines("positives.jsonl")
    out: list[str] = []
    size = 0
    while size < kb * 1000:
        line = rng.choice(dirty if rng.random() < phi_share else clean)
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)[: kb * 1000]


def best_ms(fn, repeat: int) -> float:  # noqa: ANN001 - any zero-argument callable
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return round(min(times) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--phi-share", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    figures: dict[str, object] = {"kb": args.kb, "phi_share": args.phi_share}
    for label, share in (("clean", 0.0), ("typical", args.phi_share), ("dense", 1.0)):
        text = build_log(args.kb, share, args.seed)
        scrub(text)  # warm caches, compile nothing twice
        ours = best_ms(lambda text=text: scrub(text), args.repeat)
        base = best_ms(lambda text=text: _IPV4.sub("[IP]", text), args.repeat)
        figures[label] = {
            "scrub_ms": ours,
            "baseline_ipv4_sub_ms": base,
            "ratio": round(ours / base, 1) if base else None,
            "findings": len(scrub(text).findings),
        }

    # Hostile inputs: each must stay linear (no regex backtracking, no rescans to the end of the text).
    hostile = {
        "hl7_ids": "PID|",
        "x12_ids": "NM1*",
        "nested_urls": "http://",
        "colons": "::",
        "caps_names": "Dr. Aa Bb ",
        "dotted_quads": "10.0.0.1, ",
    }
    figures["hostile_ms"] = {
        name: best_ms(lambda t=unit * (args.kb * 1000 // len(unit)): scrub(t), 3)
        for name, unit in hostile.items()
    }

    incident = {
        "host": "WS-FRONT-01",
        "check_type": "rdp_bruteforce",
        "details": {
            "source": "Source Network Address: 203.0.113.45",
            "user": "jsmith (John Smith)",
            "message": "Event ID 4625: An account failed to log on. Logon Type: 3",
            "count": 14,
        },
    }
    runs = 2000
    start = time.process_time()
    for _ in range(runs):
        Scrubber().scrub_obj(incident)
    figures["incident_scrub_obj_us"] = round((time.process_time() - start) / runs * 1e6, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
