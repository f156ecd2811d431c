"""`osiris demo`: the whole loop on the embedded default, as a newcomer's first run."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Run the whole loop on the embedded default and show what it learned.",
                  add_completion=False)


@app.command()
def demo(
    sites: int = typer.Option(12, "--sites", min=2, max=100, help="Medical offices (one appliance each)."),
    days: int = typer.Option(90, "--days", min=7, max=365, help="Days of fleet history before the demo starts."),
    seed: int = typer.Option(7, "--seed", help="The same seed gives the same fleet, history and result."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON on the last line."),
    home: Path | None = typer.Option(None, "--home", help="Workspace (default $OSIRIS_HOME/demo; wiped first)."),
) -> None:
    """Start Postgres and Central Command, run simulated offices, let the flywheel learn, show the shift."""
    from rich.console import Console

    from cli.demo.report import render, summary_json
    from cli.demo.run import Story
    from warehouse.settings import osiris_home

    workspace = (home or osiris_home() / "demo").expanduser().resolve()
    console = Console(stderr=json_out)
    started = time.perf_counter()

    def say(step: str, detail: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:6.1f}s[/dim]  [bold]{step:<10}[/bold] {detail}")

    try:
        with console.status("working…"):
            result = Story(sites=sites, days=days, seed=seed, home=workspace, say=say).run()
    except Exception as exc:  # noqa: BLE001 - one line, as every command; OSIRIS_DEBUG shows the rest
        import os

        if os.environ.get("OSIRIS_DEBUG"):
            raise
        fail(f"demo stopped: {exc}")
    elapsed = time.perf_counter() - started
    render(console, result, workspace, elapsed)
    if json_out:
        emit_json(summary_json(result, elapsed))
