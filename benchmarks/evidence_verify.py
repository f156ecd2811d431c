"""Offline verification cost of an export package, per bundle, against the cost of hashing it.

    .venv/bin/python benchmarks/evidence_verify.py [--bundles 2000] [--batch 500] [--rounds 3]

Builds a site of signed, chained bundles in Merkle batches whose roots carry a Bitcoin attestation
(built with the `opentimestamps` library onto a regtest-difficulty header: no calendar, no network),
writes the package, and times `verify_package` (signatures, chain, every Merkle path, every proof).
The baseline, measured in the same run, is reading and SHA-256-hashing every bundle file: the ratio
says what verification costs over merely touching the evidence. Also times `parse_ots` + verify of
the real hello-world proof. Prints one JSON object; each figure is the minimum over the rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nacl.signing
from opentimestamps.core.notary import BitcoinBlockHeaderAttestation
from opentimestamps.core.op import OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import DetachedTimestampFile, Timestamp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from contracts.evidence import EvidenceBundle, build_chain, merkle_root, sign_bundle  # noqa: E402
from tests.warehouse.evidence.calendar_server import header_entry, mine_header  # noqa: E402
from warehouse.evidence.headers import HeadersFile  # noqa: E402
from warehouse.evidence.package import ApplianceKey, BatchRecord, write_package  # noqa: E402
from warehouse.evidence.verify import verify_ots, verify_package  # noqa: E402


def _package(out: Path, bundles: int, batch: int) -> HeadersFile:
    key = nacl.signing.SigningKey(bytes(32))
    start = datetime(2026, 11, 1, tzinfo=UTC)
    signed = [sign_bundle(EvidenceBundle(
        bundle_id=f"b-{n}", site_id="s", appliance_id="a", kind="check", check_type="firewall_status",
        target=f"ws-{n % 50}", result="pass", before={"enabled": n % 2 == 0}, after={"enabled": True},
        created_at=start + timedelta(seconds=n)), key) for n in range(bundles)]
    entries = build_chain(signed)
    records, headers = [], {}
    for number, first in enumerate(range(0, bundles, batch)):
        chunk = entries[first:first + batch]
        root = merkle_root([bytes.fromhex(e.hash) for e in chunk])
        detached = DetachedTimestampFile(OpSHA256(), Timestamp(root))
        tip = detached.timestamp.ops.add(OpSHA256())
        height = 800_000 + number
        tip.attestations.add(BitcoinBlockHeaderAttestation(height))
        headers[str(height)] = header_entry(mine_header(bytes(32), tip.msg, 1_764_000_000 + number))
        ctx = BytesSerializationContext()
        detached.serialize(ctx)
        records.append(BatchRecord(batch_id=f"batch-{number}", leaves=[e.hash for e in chunk],
                                   bundle_ids=[e.bundle_id for e in chunk], ots=ctx.getbytes()))
    write_package(out, site_id="s", entries=entries, batches=records,
                  keys=[ApplianceKey(appliance_id="a", public_key=bytes(key.verify_key))])
    return HeadersFile(headers, network="regtest")


def _best(rounds: int, fn) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    """Run and print the JSON figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundles", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / "pkg"
        headers = _package(pkg, args.bundles, args.batch)
        result = verify_package(pkg, headers)
        assert result.verified, result.to_dict()["failures"]
        files = sorted((pkg / "bundles").iterdir())
        baseline = _best(args.rounds, lambda: [hashlib.sha256(f.read_bytes()).digest() for f in files])
        verify = _best(args.rounds, lambda: verify_package(pkg, headers))
    ots_dir = REPO.parent / "shared" / "data" / "ots"
    proof, data = (ots_dir / "hello-world.txt.ots").read_bytes(), (ots_dir / "hello-world.txt").read_bytes()
    real = HeadersFile.load(ots_dir / "block_headers.json")
    single = _best(args.rounds, lambda: [verify_ots(proof, real, data=data) for _ in range(1000)]) / 1000
    print(json.dumps({
        "bundles": args.bundles, "batch_size": args.batch, "rounds": args.rounds,
        "verify_package_s": round(verify, 4), "per_bundle_us": round(verify / args.bundles * 1e6, 1),
        "baseline_read_hash_s": round(baseline, 4), "ratio_to_baseline": round(verify / baseline, 1),
        "hello_world_verify_us": round(single * 1e6, 1),
    }))


if __name__ == "__main__":
    main()
