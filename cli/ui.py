"""`osiris ui`: serve the compliance reports (Streamlit) on the published marts, telemetry off.

The process becomes the Streamlit server (`exec` of `python -m analytics_app.serve`), so stopping
`osiris ui` stops the server; this module itself imports no Streamlit.
"""

from __future__ import annotations

import os
import socket
import sys

import typer

from cli._output import fail

app = typer.Typer(help="Open the compliance reports (Streamlit).", add_completion=False)


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@app.command()
def ui(
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    open_browser: bool = typer.Option(False, "--open", help="Open the reports in a browser tab."),
) -> None:
    """Serve the reports at http://HOST:PORT until interrupted."""
    from warehouse.duck import marts_dir, published_marts

    if not _port_free(host, port):
        fail(f"cannot listen on {host}:{port}: the address is in use or not available; pick another --port")
    folder = marts_dir()
    count = len(published_marts(folder))
    note = f"{count} marts published" if count else "no marts published yet: run `osiris pipelines materialize`"
    sys.stderr.write(f"Osiris reports on http://{host}:{port} ({note} in {folder}); Ctrl-C stops.\n")
    sys.stderr.flush()
    command = [sys.executable, "-m", "analytics_app.serve", "--host", host, "--port", str(port)]
    os.execv(sys.executable, command + (["--open"] if open_browser else []))
