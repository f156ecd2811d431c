"""Build a site's evidence the way the product will: sign, chain, batch, stamp, upgrade, export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nacl.signing

from contracts.evidence import ChainedEvidence, EvidenceBundle, build_chain, merkle_root, sign_bundle
from tests.warehouse.evidence.calendar_server import LocalCalendar
from warehouse.evidence.calendar import CalendarClient
from warehouse.evidence.package import ApplianceKey, BatchRecord, write_package

KEYS = {"app-1": nacl.signing.SigningKey(bytes([1]) * 32), "app-2": nacl.signing.SigningKey(bytes([2]) * 32)}
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@dataclass
class Site:
    """A site's chained bundles, its batches (with proofs), and the block headers that confirm them."""

    entries: list[ChainedEvidence]
    batches: list[BatchRecord]
    headers: dict[str, dict]

    def keys(self) -> list[ApplianceKey]:
        """Both appliances' registered public keys."""
        return [ApplianceKey(appliance_id=a, public_key=bytes(k.verify_key)) for a, k in KEYS.items()]

    def write(self, out: Path, **kwargs) -> Path:
        """Export every entry (or `entries=`) to `out`; returns the package directory."""
        kwargs.setdefault("entries", self.entries)
        write_package(out, site_id="site-1", batches=self.batches, keys=self.keys(), **kwargs)
        return out


def bundle(n: int) -> EvidenceBundle:
    """The n-th bundle: alternating appliances, checks and heals."""
    appliance = "app-1" if n % 2 == 0 else "app-2"
    return EvidenceBundle(
        bundle_id=f"bundle-{n}", site_id="site-1", appliance_id=appliance, kind="check" if n % 3 else "heal",
        check_type="firewall_status", target=f"ws-{n:02d}", result="pass" if n % 4 else "fail",
        before={"enabled": False}, after={"enabled": True} if n % 3 == 0 else None,
        created_at=START + timedelta(minutes=n))


def build_site(calendar: LocalCalendar, *, confirmed: int = 5, pending: int = 1, unanchored: int = 1) -> Site:
    """Bundles 0..confirmed-1 in a confirmed batch, the next `pending` in a pending one, the rest in none."""
    total = confirmed + pending + unanchored
    entries = build_chain([sign_bundle(bundle(n), KEYS[bundle(n).appliance_id]) for n in range(total)])
    batches: list[BatchRecord] = []
    headers: dict[str, dict] = {}
    with CalendarClient([calendar.url], timeout=5) as client:
        if confirmed:
            first = entries[:confirmed]
            stamped = client.stamp(_root(first)).ots
            headers.update(calendar.confirm())
            upgraded = client.upgrade(stamped)
            assert upgraded.complete
            batches.append(_batch("batch-1", first, upgraded.ots))
        if pending:
            second = entries[confirmed : confirmed + pending]
            batches.append(_batch("batch-2", second, client.stamp(_root(second)).ots))
    return Site(entries, batches, headers)


def _root(entries: list[ChainedEvidence]) -> bytes:
    return merkle_root([bytes.fromhex(e.hash) for e in entries])


def _batch(batch_id: str, entries: list[ChainedEvidence], ots: bytes) -> BatchRecord:
    return BatchRecord(batch_id=batch_id, leaves=[e.hash for e in entries], bundle_ids=[e.bundle_id for e in entries],
                       ots=ots)
