"""`osiris cve match`: which devices run software that NVD's CVE configurations name as vulnerable."""

from __future__ import annotations

from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Match software inventory against NVD CVE records.", no_args_is_help=True,
                  add_completion=False)


@app.callback()
def _group() -> None:
    """Match software inventory against NVD CVE records."""


@app.command()
def match(
    cves: Path = typer.Option(..., "--cves", help="NVD CVE API 2.0 JSON: a response, an item, JSONL or .gz."),
    inventory: Path = typer.Option(..., "--inventory", help="CSV with columns device_id,cpe."),
) -> None:
    """One JSON line per match: {"device_id", "cve_id", "cpe", "cvss"}."""
    from warehouse.cve_match import match_inventory, read_inventory
    from warehouse.errors import FeedError, MatchError
    from warehouse.feeds import nvd

    try:
        records = nvd.load(cves)
        pairs = read_inventory(inventory)
        rows = match_inventory(records, pairs)
    except (FeedError, MatchError) as exc:
        fail(str(exc))
    for row in rows:
        emit_json(row)
