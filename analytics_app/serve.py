"""Serve the reports with Streamlit's own server, telemetry off: `python -m analytics_app.serve`.

`osiris ui` runs this. Launching through Streamlit's bootstrap (rather than `streamlit run`) lets us
tell Streamlit that `app.py` declares its navigation: with a `pages/` folder beside the entry script
Streamlit otherwise starts in its folder-based multipage mode until the entry script first runs, so
a fresh server's first visit to a page URL (a bookmark to /hipaa) would run that page alone, without
the entry script's navigation and filters.
"""

from __future__ import annotations

import argparse
from pathlib import Path

APP = Path(__file__).resolve().with_name("app.py")


def options(host: str, port: int, *, open_browser: bool = False) -> dict[str, object]:
    """Streamlit config for serving the reports (flag-style keys, as `streamlit run` passes them)."""
    return {
        "server_address": host,
        "server_port": port,
        "server_headless": not open_browser,
        "server_fileWatcherType": "none",  # a deployed app does not edit itself: no watcher threads
        "server_runOnSave": False,
        "browser_gatherUsageStats": False,  # telemetry off
        "client_toolbarMode": "viewer",
        "global_developmentMode": False,
    }


def preload() -> None:
    """Import what the pages use before serving, so the first visitor does not wait for it (≈0.5 s)."""
    import importlib

    for name in ("altair", "analytics_app.ui", "analytics_app.oscal_export", "analytics_app.verify",
                 *(f"analytics_app.queries.{q}" for q in ("overview", "devices", "vulnerabilities", "hipaa",
                                                           "flywheel", "evidence", "escalations"))):
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    """Parse `--host`, `--port`, `--open` and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m analytics_app.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--open", action="store_true", help="open a browser tab")
    args = parser.parse_args(argv)

    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import bootstrap

    preload()
    PagesManager.uses_pages_directory = False  # app.py declares the pages with st.navigation
    config._main_script_path = str(APP)
    flags = options(args.host, args.port, open_browser=args.open)
    bootstrap.load_config_options(flag_options=flags)
    bootstrap.run(str(APP), False, [], flags)


if __name__ == "__main__":
    main()
