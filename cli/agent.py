"""`osiris agent run|once|status`: the appliance daemon, one cycle (cron, tests), and its state."""

from __future__ import annotations

import logging
import logging.handlers
import signal
import threading
from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Run the appliance agent.", no_args_is_help=True, add_completion=False)

ConfigOption = typer.Option(None, "--config", help="TOML settings file (else MSP_CONFIG; MSP_ variables win).")


@app.callback()
def _group() -> None:
    """Run the appliance agent."""


def _settings(config: Path | None):
    from agent.errors import AgentError
    from agent.settings import load_settings

    try:
        return load_settings(config)
    except AgentError as exc:
        fail(str(exc), 2)


def _logging(settings, *, to_stderr: bool) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(settings.effective_log_file, maxBytes=5_000_000, backupCount=3)
    ]
    if to_stderr:
        handlers.append(logging.StreamHandler())
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # httpx logs every request at INFO: too chatty for an appliance log read over `view_logs`.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _agent(settings):
    from agent.agent import Agent
    from agent.errors import AgentError

    try:
        return Agent(settings)
    except AgentError as exc:
        fail(str(exc), 2)


@app.command()
def once(config: Path | None = ConfigOption) -> None:
    """Run one cycle (check in, orders, bundle, drift and healing, flush) and print its report as JSON."""
    from agent.errors import AgentError

    settings = _settings(config)
    _logging(settings, to_stderr=False)
    agent = _agent(settings)
    try:
        report = agent.cycle()
    except AgentError as exc:
        fail(str(exc))
    finally:
        agent.close()
    emit_json(report.__dict__)


@app.command()
def run(config: Path | None = ConfigOption) -> None:
    """Cycle every MSP_POLL_INTERVAL seconds until SIGINT/SIGTERM."""
    from agent.errors import AgentError

    settings = _settings(config)
    _logging(settings, to_stderr=True)
    agent = _agent(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logging.getLogger("agent").info(
        "agent started: site %s, %d targets, poll every %g s%s", settings.site_id, len(agent.targets),
        settings.poll_interval, " (dry run)" if settings.dry_run else "",
    )
    try:
        code = agent.run(stop)
    except AgentError as exc:
        fail(str(exc))
    finally:
        agent.close()
    raise typer.Exit(code)


@app.command()
def status(config: Path | None = ConfigOption) -> None:
    """Print the appliance's state as JSON: check-in, bundle, outbox, incidents, suppressions."""
    from agent.errors import AgentError
    from agent.status import read_status

    settings = _settings(config)
    try:
        emit_json(read_status(settings))
    except AgentError as exc:
        fail(str(exc))
