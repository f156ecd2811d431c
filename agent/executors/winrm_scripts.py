"""The PowerShell command lines the WinRM executor sends, and the cleanup of what comes back.

WinRS runs each command through cmd.exe, whose command line stops at 8,191 characters. A script
up to `INLINE_MAX` bytes travels inline as `-EncodedCommand` (base64 of UTF-16LE, so 2 KB of script
is at most ~5.5 K characters). A longer one is uploaded: its base64 is written in chunks to
`$env:TEMP\\osiris-<id>.b64`, each chunk at its own offset (so a retried chunk rewrites, never
duplicates), then one command decodes it, checks its SHA-256, writes the `.ps1` and runs it, and a
last command removes both files. Pure string work: no I/O here.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET

CMD_LIMIT = 8191
"""cmd.exe's command-line limit, in characters."""
INLINE_MAX = 2048
"""Scripts up to this many UTF-8 bytes run inline; longer ones are uploaded."""
CHUNK_CHARS = 2000
"""Base64 characters per upload chunk; keeps each chunk's command line near 6.2 K characters."""

_PREFIX = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass"

CHUNK_TEMPLATE = (
    "$p = Join-Path $env:TEMP '{name}.b64'\n"
    "$f = [IO.File]::Open($p, 'OpenOrCreate', 'Write')\n"
    "try {{ $f.SetLength({offset}); $f.Position = {offset}; "
    "$b = [Text.Encoding]::ASCII.GetBytes('{chunk}'); $f.Write($b, 0, $b.Length) }} "
    "finally {{ $f.Dispose() }}"
)
RUN_TEMPLATE = (
    "$ErrorActionPreference = 'Stop'\n"
    "$p = Join-Path $env:TEMP '{name}'\n"
    "$b = [Convert]::FromBase64String([IO.File]::ReadAllText(\"$p.b64\"))\n"
    "$h = [BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash($b)).Replace('-', '')\n"
    "if ($h -ne '{sha256}') {{ throw \"osiris: uploaded script is corrupt (sha256 $h)\" }}\n"
    "[IO.File]::WriteAllBytes(\"$p.ps1\", [byte[]](@(0xEF, 0xBB, 0xBF) + $b))\n"
    "$global:LASTEXITCODE = 0\n"
    "{pipe}& \"$p.ps1\"\n"
    "exit $LASTEXITCODE"
)
CLEANUP_TEMPLATE = (
    "$p = Join-Path $env:TEMP '{name}'\n"
    "Remove-Item -LiteralPath \"$p.b64\", \"$p.ps1\" -Force -ErrorAction SilentlyContinue"
)


def encoded_command(script: str, *, stdin: bool = False) -> str:
    """`powershell.exe ... -EncodedCommand <base64 UTF-16LE>`; stdin stays closed unless asked."""
    b64 = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    # Without -InputFormat None, powershell.exe under WinRS may wait on a stdin nobody writes.
    return f"{_PREFIX}{'' if stdin else ' -InputFormat None'} -EncodedCommand {b64}"


def needs_upload(script: str) -> bool:
    """True when the script is too long to travel inline."""
    return len(script.encode("utf-8")) > INLINE_MAX


def upload_plan(script: str, name: str, *, stdin: bool = False) -> tuple[list[str], str, str]:
    """(chunk command lines in order, the run command line, the cleanup command line)."""
    raw = script.encode("utf-8")
    payload = base64.b64encode(raw).decode("ascii")
    chunks = [
        encoded_command(CHUNK_TEMPLATE.format(name=name, offset=i, chunk=payload[i:i + CHUNK_CHARS]))
        for i in range(0, len(payload), CHUNK_CHARS)
    ]
    run = encoded_command(RUN_TEMPLATE.format(
        name=name, sha256=hashlib.sha256(raw).hexdigest().upper(), pipe="$input | " if stdin else ""), stdin=stdin)
    return chunks, run, encoded_command(CLEANUP_TEMPLATE.format(name=name))


_CLIXML_STRING = re.compile(r"_x([0-9A-Fa-f]{4})_")


def clean_stderr(text: str) -> str:
    """PowerShell's `#< CLIXML` error records as plain lines; any other text (or broken XML) unchanged."""
    head, _, body = text.partition("\n")
    if not head.strip().startswith("#< CLIXML"):
        return text
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return text
    lines = [
        _CLIXML_STRING.sub(lambda m: chr(int(m.group(1), 16)), node.text or "")
        for node in root.iter()
        if node.tag.endswith("}S") and node.get("S") == "Error"
    ]
    return "".join(lines) if lines else text
