"""`osiris phi scrub`: stdin to stdout with PHI replaced by typed placeholders.

With `--lines` each line is scrubbed as it arrives (so `tail -f log | osiris phi scrub --lines`
streams), and all lines share one request's placeholders: the same IP is `[IP_1]` on every line.
Offsets in `--json` findings count characters (not bytes) of the input, or of the line with `--lines`.
The mapping placeholder -> value is never printed: it must not leave the device.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from cli._output import emit_json, fail

app = typer.Typer(
    help="Scrub PHI from text before it leaves a device.", no_args_is_help=True, add_completion=False
)


@app.callback()
def _group() -> None:
    """Scrub PHI from text before it leaves a device."""


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{where} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def _as_json(result: Any) -> dict[str, Any]:
    return {
        "text": result.text,
        "findings": [
            {"category": f.category, "placeholder": f.placeholder, "start": f.start, "end": f.end}
            for f in result.findings
        ],
    }


def _write(text: str) -> None:
    # Bytes, so the output is UTF-8 whatever the locale says.
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


@app.command()
def scrub(
    as_json: bool = typer.Option(
        False, "--json", help='Print {"text", "findings": [...]} instead of the text.'
    ),
    lines: bool = typer.Option(False, "--lines", help="Scrub each line on its own, output line for line."),
) -> None:
    """Read stdin, write it with PHI replaced by placeholders such as [NAME_1] and [IP_1]."""
    from contracts.phi import Scrubber

    scrubber = Scrubber()
    if not lines:
        result = scrubber.scrub(_decode(sys.stdin.buffer.read(), "input"))
        if as_json:
            emit_json(_as_json(result))
        else:
            _write(result.text)
        return
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line = _decode(raw, f"line {number}")
        body = line.rstrip("\r\n")
        result = scrubber.scrub(body)
        if as_json:
            emit_json(_as_json(result))
        else:
            _write(result.text + line[len(body) :])
