"""`osiris evidence export` writes an auditor's package from Central Command's database;
`osiris evidence verify` checks a file's `.ots` proof, or such a package, offline.

Both print one JSON object on the last stdout line (human lines before it unless `--json`). `verify`
exits 0 only when everything verified down to a Bitcoin block; otherwise one `error:` line on stderr
says what failed and the exit code is 1. `export` fails the same way (one line, exit 1) on a bad site
id or date, an unknown site, a non-empty output directory, or an unreachable database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Export and verify the evidence chain offline.", no_args_is_help=True, add_completion=False)


@app.callback()
def _group() -> None:
    """Export and verify the evidence chain offline."""


@app.command()
def export(
    site: str = typer.Option(..., "--site", help="The site's id."),
    since: str | None = typer.Option(
        None, "--since", help="Only bundles created at or after this date (YYYY-MM-DD or ISO 8601, UTC if no zone)."),
    out: Path | None = typer.Option(None, "--out", help="Package directory, absent or empty "
                                                          "(default: ./evidence-<site>-<UTC date>)."),
    as_json: bool = typer.Option(False, "--json", help="Print only the JSON summary."),
) -> None:
    """Write an auditor's package: the site's chained bundles, Merkle paths, .ots proofs, appliance keys, manifest."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    try:
        site_id = uuid.UUID(site)
    except ValueError:
        fail(f"--site is not a site id (a UUID): {site[:64]!r}")
    moment = _since(since) if since else None
    target = out or Path(f"evidence-{site_id}-{datetime.now(UTC):%Y%m%d}")
    done = asyncio.run(_export(site_id, target, moment))
    doc = {"package": str(target), "site_id": str(site_id), "since": moment.isoformat() if moment else None,
           "bundles": done.bundles, "batches": done.batches, "stamped": done.stamped, "confirmed": done.confirmed,
           "keys": done.keys, "first_seq": done.first_seq, "head_hash": done.head_hash}
    if not as_json:
        print(f"exported {done.bundles} bundles of site {site_id} to {target}: {done.batches} Merkle batches, "
              f"{done.stamped} stamped, {done.confirmed} confirmed in Bitcoin; {done.keys} appliance keys")
        print(f"next: osiris evidence verify {target} --headers HEADERS.json (or --bitcoind URL)")
    emit_json(doc)


def _since(text: str):
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--since is not a date (YYYY-MM-DD or ISO 8601): {text[:64]!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _export(site_id, target: Path, since):
    from warehouse.errors import WarehouseError
    from warehouse.evidence.store import export_site
    from warehouse.migrate import apply_migrations
    from warehouse.pg import connect, database_url
    from warehouse.sql_files import sql

    try:
        url = database_url()
        await apply_migrations(url)
        conn = await connect(url)
    except WarehouseError as exc:
        fail(str(exc))
    try:
        if not await conn.fetchval(sql("evidence/site_exists"), site_id):
            fail(f"no such site: {site_id}")
        return await export_site(conn, site_id, target, since=since)
    except WarehouseError as exc:  # the package's own errors (a non-empty directory, a malformed row)
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the package to {target}: {exc.strerror or exc}")
    finally:
        await conn.close()


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
