"""The `osiris` entry point: one command group whose subcommands load only when they are used.

Loading lazily keeps `osiris agent once` fast on an appliance (it never imports dagster or
streamlit) and lets each area add its commands in its own module, `cli/<name>.py`, exposing a
typer app called `app`.
"""

from __future__ import annotations

import importlib
import os
import sys

import click
import typer
import typer.main

try:  # typer >= 0.2x carries its own copy of click: its errors are not click's classes
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover - older typer uses click itself
    _typer_click = click.exceptions

_EXIT = (click.exceptions.Exit, typer.Exit)
_CLICK_ERROR = (click.ClickException, _typer_click.ClickException)
_ABORT = (click.exceptions.Abort, typer.Abort)

# name -> (module, one-line help). A module that does not exist yet is reported as not built.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("cli.demo", "Run the whole loop on the embedded default and show what it learned."),
    "serve": ("cli.serve", "Serve Central Command over HTTP and gRPC."),
    "tokens": ("cli.tokens", "Create admin, partner and auditor API tokens."),
    "keys": ("cli.keys", "Generate Ed25519 signing keys."),
    "rules": ("cli.rules", "Evaluate, sign and verify L1 rule sets."),
    "phi": ("cli.phi", "Scrub PHI from text before it leaves a device."),
    "cve": ("cli.cve", "Match software inventory against NVD CVE records."),
    "oscal": ("cli.oscal", "Summarise OSCAL catalogs and resolve baseline profiles."),
    "flywheel": ("cli.flywheel", "Mine L2 history for rules worth promoting."),
    "evidence": ("cli.evidence", "Export and verify the evidence chain offline."),
    "agent": ("cli.agent", "Run the appliance agent."),
    "pipelines": ("cli.pipelines", "Materialize the warehouse pipelines in-process."),
    "ui": ("cli.ui", "Open the compliance reports (Streamlit)."),
    "escalate": ("cli.escalate", "Send test escalations to L3 channels."),
}


def _load(name: str) -> click.Command | None:
    module_name, _ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    command = typer.main.get_command(module.app)
    command.name = name
    return command


class _LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = _load(cmd_name)
        if command is None:
            return _not_built(cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _not_built(name: str) -> click.Command:
    @click.command(name=name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def _cmd() -> None:
        click.echo(f"error: `osiris {name}` is not built yet in this version", err=True)
        sys.exit(3)

    return _cmd


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="osiris")
def cli() -> None:
    """Osiris: HIPAA drift healing with a learning loop."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure is one line on stderr and a non-zero exit, never a traceback."""
    try:
        cli.main(args=argv, prog_name="osiris", standalone_mode=False)
    except _EXIT as exc:
        sys.exit(exc.exit_code)
    except _CLICK_ERROR as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except _ABORT:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place every unexpected failure becomes one line
        if os.environ.get("OSIRIS_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(f"error: {type(exc).__name__}: {message}".rstrip(": "), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
