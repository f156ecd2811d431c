"""The Evidence page's verify button: the checks `osiris evidence verify` runs, as one JSON verdict.

Same functions as the CLI (`warehouse.evidence.verify.verify_ots_file` for a stamped file and its
`.ots`, `verify_package` for an auditor's export directory) and the same header sources (a headers
JSON file, or a bitcoind JSON-RPC URL); the verdict dict has the CLI's shape, plus `reason` when
something did not verify.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _header_source(headers: str | None, bitcoind: str | None, network: str):
    from warehouse.evidence.errors import HeaderSourceError
    from warehouse.evidence.headers import NETWORK_MIN_DIFFICULTY_BITS, BitcoindHeaders, HeadersFile

    if network not in NETWORK_MIN_DIFFICULTY_BITS:
        raise HeaderSourceError(f"unknown network {network!r}; use mainnet, testnet or regtest")
    if headers:
        return HeadersFile.load(Path(headers).expanduser(), network=network)
    if bitcoind:
        return BitcoindHeaders(bitcoind, network=network)
    return None


def run(target: str, *, ots: str | None = None, headers: str | None = None, bitcoind: str | None = None,
        network: str = "mainnet") -> dict[str, Any]:
    """Verify a stamped file (with its `.ots`) or an export package directory; never raises for bad input."""
    from warehouse.evidence.errors import EvidenceVerifyError
    from warehouse.evidence.verify import verify_ots_file, verify_package

    if not target.strip():
        return {"verified": False, "status": "failed", "reason": "give a stamped file or an export package"}
    path = Path(target.strip()).expanduser()
    try:
        source = _header_source(headers.strip() if headers else None, bitcoind.strip() if bitcoind else None,
                                network)
    except EvidenceVerifyError as exc:
        return {"verified": False, "status": "failed", "reason": str(exc), "error": type(exc).__name__}
    if path.is_dir():
        result = verify_package(path, source)
        doc = result.to_dict()
        if not result.verified:
            doc["reason"] = _package_reason(result)
        return doc
    proof = Path(ots.strip()).expanduser() if ots and ots.strip() else Path(str(path) + ".ots")
    for item, what in ((path, "file"), (proof, "proof")):
        if not item.is_file():
            return {"verified": False, "status": "failed", "reason": f"{what} {item} not found"}
    try:
        return verify_ots_file(path, proof.read_bytes(), source).to_dict()
    except OSError as exc:
        return {"verified": False, "status": "failed", "reason": f"cannot read: {exc.strerror or exc}"}


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
