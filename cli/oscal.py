"""`osiris oscal summary`: counts of an OSCAL catalog, and of a baseline profile resolved against it."""

from __future__ import annotations

from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Summarise OSCAL catalogs and resolve baseline profiles.", no_args_is_help=True,
                  add_completion=False)


@app.callback()
def _group() -> None:
    """Summarise OSCAL catalogs and resolve baseline profiles."""


@app.command()
def summary(
    catalog: Path = typer.Argument(..., help="OSCAL catalog JSON (e.g. NIST_SP-800-53_rev5_catalog.json)."),
    profile: Path | None = typer.Option(None, "--profile", help="OSCAL profile JSON to resolve against it."),
) -> None:
    """{"groups", "controls", "enhancements", "withdrawn"}, plus "selected" counts with --profile."""
    from warehouse.errors import FeedError
    from warehouse.feeds import oscal

    try:
        cat = oscal.load_catalog(catalog)
        out: dict[str, object] = dict(cat.summary())
        if profile is not None:
            resolution = oscal.resolve_profile(profile, cat)
            out.update(resolution.summary())
            out["profile"] = resolution.title
            out["missing"] = resolution.missing
    except FeedError as exc:
        fail(str(exc))
    emit_json(out)
