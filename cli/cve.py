"""`osiris cve match`: which devices run software that NVD's CVE configurations name as vulnerable."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli._output import fail

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
    from warehouse.cve_match import CveIndex, read_inventory
    from warehouse.errors import FeedError, MatchError
    from warehouse.feeds import nvd

    try:
        records = nvd.load(cves)
        pairs = read_inventory(inventory)
        lines = list(CveIndex.from_records(records).json_lines(pairs))
    except (FeedError, MatchError) as exc:
        fail(str(exc))
    # A fleet can match a million times: write in blocks, not one flush per line.
    for start in range(0, len(lines), 10_000):
        sys.stdout.write("\n".join(lines[start:start + 10_000]) + "\n")
    sys.stdout.flush()
