"""How fast the reports render on demo-sized data: each page's script run (AppTest: cold cache and
warm), and, with `--browser`, the time from navigation until headless Chromium shows the rendered page.

The baseline, measured in the same run, is reading every published mart once with polars (the I/O a
page cannot avoid); each page time is also given as a ratio to it. Marts are the demo-sized synthetic
set (`tests/analytics_app/demo_marts.py`: the `osiris demo` defaults, 12 offices and 90 days) unless
`--marts DIR` names a published folder (e.g. an `osiris demo` workspace's `marts/`). Prints one JSON
object.

    .venv/bin/python benchmarks/analytics_app.py [--marts DIR] [--browser] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analytics_app.ui import PAGES  # noqa: E402
from tests.analytics_app.demo_marts import write_demo_marts  # noqa: E402


def _baseline(folder: Path, repeat: int) -> float:
    import polars as pl

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for path in sorted(folder.glob("*.parquet")):
            pl.read_parquet(path)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _apptest(repeat: int) -> dict[str, dict[str, float]]:
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    # As `osiris ui` serves it: every run executes app.py (sidebar, navigation) and then the page.
    original = PagesManager.__init__

    def _init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = _init

    out = {}
    for path, title, _ in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            at = AppTest.from_file(str(REPO / "analytics_app" / "app.py"), default_timeout=120)
            at.run()
            st.cache_data.clear()
            started = time.perf_counter()
            at.switch_page(path).run()
            cold.append(time.perf_counter() - started)
            assert not at.exception, f"{title}: {at.exception}"
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        out[title] = {"cold_s": round(statistics.median(cold), 3), "warm_s": round(statistics.median(warm), 3)}
    return out


def _serve(command: list[str], home: Path, port_flag: str = "--port") -> tuple[subprocess.Popen, str]:
    from tests.analytics_app.test_browser import _free_port, _wait_healthy

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*command, port_flag, str(port)], env={**os.environ, "OSIRIS_HOME": str(home)},
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_healthy(url, server)
    return server, url


def _timed_loads(binary: str, url: str, paths: list[str], repeat: int) -> list[list[float]]:
    from tests.analytics_app.browser import chromium

    out = []
    with tempfile.TemporaryDirectory() as profile, chromium(binary, Path(profile)) as browser:
        for path in paths:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                browser.load(f"{url}/{path}")
                times.append(time.perf_counter() - started - 0.5)  # load() waits 0.5 s for paint
            out.append(times)
    return out


def _browser(home: Path, repeat: int) -> dict:
    binary = shutil.which("chromium")
    if binary is None:
        return {"skipped": "chromium not installed"}
    # Baseline: a one-title Streamlit app served the same way, in a fresh profile too (its first load
    # pays for the frontend bundle just as the reports' first load does).
    trivial = home / "baseline_app.py"
    trivial.write_text("import streamlit as st\nst.title('baseline')\n")
    flags = ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"]
    server, url = _serve([sys.executable, "-m", "streamlit", "run", str(trivial), *flags], home, "--server.port")
    try:
        [base] = _timed_loads(binary, url, [""], repeat)
    finally:
        server.terminate()
        server.wait(timeout=20)
    server, url = _serve([sys.executable, "-m", "analytics_app.serve"], home)
    try:
        paths = ["" if Path(p).stem == "overview" else Path(p).stem for p, _, _ in PAGES]
        loads = _timed_loads(binary, url, paths, repeat)
    finally:
        server.terminate()
        server.wait(timeout=20)
    base_median = statistics.median(base)
    pages = {title: {"first_s": round(t[0], 3), "median_s": round(statistics.median(t), 3),
                     "median_ratio_to_baseline": round(statistics.median(t) / base_median, 1)}
             for (_, title, _), t in zip(PAGES, loads, strict=True)}
    return {"baseline_trivial_app": {"first_s": round(base[0], 3), "median_s": round(base_median, 3)}, "pages": pages}


def main() -> None:
    """Build or take the marts, time every page, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--marts", type=Path, help="a published marts folder (default: demo-sized synthetic)")
    parser.add_argument("--browser", action="store_true", help="also time pages in headless Chromium")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="osiris-bench-ui-") as tmp:
        home = Path(tmp)
        if args.marts:
            shutil.copytree(args.marts, home / "marts")
            rows = {p.stem: None for p in (home / "marts").glob("*.parquet")}
        else:
            rows = write_demo_marts(home / "marts")
        os.environ["OSIRIS_HOME"] = str(home)
        baseline = _baseline(home / "marts", args.repeat)
        pages = _apptest(args.repeat)
        result = {
            "marts": args.marts and str(args.marts) or "synthetic demo-sized (12 sites, 90 days, 20 devices each)",
            "rows": rows,
            "baseline_read_every_mart_s": round(baseline, 3),
            "apptest": pages,
            "apptest_cold_ratio_to_baseline": {t: round(v["cold_s"] / baseline, 1) for t, v in pages.items()},
        }
        if args.browser:
            result["browser"] = _browser(home, args.repeat)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
