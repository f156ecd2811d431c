"""Start-up cost of the appliance agent: importing all of `agent`, and `osiris agent once` end to end.

Prints JSON: median wall times over N runs of a bare interpreter (the baseline, same run), of
importing every agent module, and of `osiris agent once` against a stub Central Command (with no
targets, and with 8 simulated hosts), each also as a ratio to the baseline; plus the ten slowest
imports from `python -X importtime`.
`python benchmarks/agent_startup.py [--runs N]`
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _agent_common import REPO, StubProcess

IMPORT_ALL = ("import importlib, pkgutil, agent\n"
              "for m in pkgutil.walk_packages(agent.__path__, 'agent.'): importlib.import_module(m.name)\n"
              "import cli.agent")


def _median(argv: list[str], runs: int, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _importtime_top(n: int = 10) -> list[dict]:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_ALL], cwd=REPO, capture_output=True,
                         text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, self_us, cum_us, name = (part.strip() for part in line.replace("import time:", "|").split("|"))
        rows.append({"module": name, "self_ms": int(self_us) / 1000, "cumulative_ms": int(cum_us) / 1000})
    return sorted(rows, key=lambda r: -r["self_ms"])[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    python = [sys.executable]
    bare = _median([*python, "-c", "pass"], args.runs)
    imports = _median([*python, "-c", IMPORT_ALL], args.runs)
    stub = StubProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            once = [*python, "-m", "cli.main", "agent", "once"]
            empty = _median(once, args.runs, stub.env(Path(tmp) / "a", MSP_SIMULATE=""))
            hosts = _median(once, args.runs, stub.env(Path(tmp) / "b", MSP_SIMULATE="windows:4,linux:4"))
    finally:
        stub.stop()
    print(json.dumps({
        "benchmark": "agent_startup", "runs": args.runs,
        "python_bare_s": round(bare, 3),
        "import_all_agent_s": round(imports, 3), "import_all_agent_ratio": round(imports / bare, 2),
        "import_all_agent_over_bare_s": round(imports - bare, 3),
        "agent_once_no_targets_s": round(empty, 3), "agent_once_no_targets_ratio": round(empty / bare, 2),
        "agent_once_8_sim_hosts_s": round(hosts, 3), "agent_once_8_sim_hosts_ratio": round(hosts / bare, 2),
        "importtime_top": _importtime_top(),
    }))


if __name__ == "__main__":
    main()
