"""`osiris evidence verify`: check a file's `.ots` proof, or an auditor's export package, offline.

Both forms print the verdict as one JSON object on the last stdout line (human lines before it
unless `--json`), and exit 0 only when everything verified down to a Bitcoin block; otherwise one
`error:` line on stderr says what failed and the exit code is 1. `osiris evidence export` needs
Central Command's database: until it is wired in, it says so and exits 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli._output import emit_json

app = typer.Typer(help="Export and verify the evidence chain offline.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Export and verify the evidence chain offline."""


@app.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def export() -> None:
    """Write an auditor's package for a site (needs Central Command's database; not built here yet)."""
    sys.stderr.write("error: `osiris evidence export` needs Central Command's database and is not built yet; "
                     "`osiris evidence verify` works offline\n")
    raise SystemExit(3)


@app.command()
def verify(
    target: Path = typer.Argument(..., help="A stamped file (with --ots), or an export package directory."),
    ots: Path | None = typer.Option(None, "--ots", help="The file's .ots proof (default: TARGET.ots)."),
    headers: Path | None = typer.Option(
        None, "--headers", help="Block headers JSON: {height: {hash, header_hex, merkleroot, ...}}."),
    bitcoind: str | None = typer.Option(
        None, "--bitcoind", envvar="OSIRIS_BITCOIND_URL", show_envvar=True,
        help="bitcoind JSON-RPC URL to fetch headers from (used when --headers is not given)."),
    network: str = typer.Option(
        "mainnet", "--network", help="Minimum proof of work headers must carry: mainnet, testnet or regtest."),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON verdict."),
) -> None:
    """Verify a file's OpenTimestamps proof, or every bundle of an export package, against block headers."""
    from warehouse.evidence.errors import EvidenceVerifyError

    try:
        source = _header_source(headers, bitcoind, network)
    except EvidenceVerifyError as exc:
        _finish({"verified": False, "status": "failed", "reason": str(exc), "error": type(exc).__name__})
        return
    if target.is_dir():
        _verify_package(target, source, as_json)
    else:
        _verify_file(target, ots, source, as_json)


def _header_source(headers: Path | None, bitcoind: str | None, network: str):
    from warehouse.evidence.errors import HeaderSourceError
    from warehouse.evidence.headers import NETWORK_MIN_DIFFICULTY_BITS, BitcoindHeaders, HeadersFile

    if network not in NETWORK_MIN_DIFFICULTY_BITS:
        raise HeaderSourceError(f"unknown network {network!r}; use mainnet, testnet or regtest")
    if headers is not None:
        return HeadersFile.load(headers, network=network)
    if bitcoind:
        return BitcoindHeaders(bitcoind, network=network)
    return None


def _verify_file(target: Path, ots: Path | None, source, as_json: bool) -> None:
    from warehouse.evidence.verify import verify_ots_file

    ots = ots or Path(str(target) + ".ots")
    for path, what in ((target, "file"), (ots, "proof")):
        if not path.is_file():
            _finish({"verified": False, "status": "failed", "reason": f"{what} {path} not found"})
            return
    try:
        result = verify_ots_file(target, ots.read_bytes(), source)
    except OSError as exc:
        _finish({"verified": False, "status": "failed", "reason": f"cannot read: {exc.strerror or exc}"})
        return
    if not as_json:
        for att in result.attestations:
            where = f" block {att.height}" if att.height is not None else ""
            extra = att.time_iso or att.calendar or att.reason or att.tag or ""
            print(f"{att.chain}{where}: {att.status}" + (f" ({extra})" if extra else ""))
    _finish(result.to_dict())


def _verify_package(target: Path, source, as_json: bool) -> None:
    from warehouse.evidence.verify import verify_package

    result = verify_package(target, source)
    doc = result.to_dict()
    if not as_json:
        for bundle in result.bundles:
            head = f"{bundle.bundle_id} (seq {bundle.seq})"
            if bundle.status == "verified":
                print(f"{head}: verified, Bitcoin block {bundle.height} at {bundle.time_iso}")
            elif bundle.failures:
                print(f"{head}: FAILED: " + "; ".join(bundle.failures))
            else:
                print(f"{head}: {bundle.status}" + (f" ({bundle.detail})" if bundle.detail else ""))
        for failure in result.failures:
            print(f"package: FAILED: {failure}")
        counts = ", ".join(f"{n} {status}" for status, n in sorted(doc["counts"].items()))
        print(f"{len(result.bundles)} bundles: {counts or 'none'}")
    if not result.verified:
        doc["reason"] = _package_reason(result)
    _finish(doc)


def _package_reason(result) -> str:
    if result.failures:
        return result.failures[0]
    for bundle in result.bundles:
        if bundle.failures:
            return f"bundle {bundle.bundle_id}: {bundle.failures[0]}"
    for bundle in result.bundles:
        if bundle.status != "verified":
            return f"bundle {bundle.bundle_id} is {bundle.status}" + (f": {bundle.detail}" if bundle.detail else "")
    return "the package holds no bundles"


def _finish(doc: dict) -> None:
    emit_json(doc)
    if not doc.get("verified"):
        reason = doc.get("reason") or doc.get("status") or "not verified"
        sys.stderr.write(f"error: {str(reason).splitlines()[0]}\n")
        sys.stderr.flush()
        raise SystemExit(1)  # typer.Exit is not click's Exit in typer 0.29, so cli.main would print it
