"""Walk a site's stored chain row by row, as pages arrive, and name every place it does not hold.

`contracts.evidence.verify_chain` checks a chain held in memory; a site's chain in Postgres can be
millions of rows, so Central Command feeds it here a page at a time. Each row is checked as the
offline verifier would: the stored bundle still parses and hashes to its recorded chain hash, it
continues from the entry before it, no sequence number is missing, and the appliance's signature
holds with a key registered for that appliance. No I/O: the caller fetches rows and keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nacl.signing import VerifyKey

from contracts.errors import EvidenceError
from contracts.evidence import GENESIS_HASH, ChainBreak, bundle_hash, chain_hash, parse_signed, verify_signed


@dataclass(frozen=True)
class ChainRow:
    """One stored chain entry, as read from `evidence_bundles`."""

    seq: int
    bundle_id: str
    appliance_id: str | None
    prev_hash: str | None
    chain_hash: str | None
    signed: str | None


@dataclass(frozen=True)
class Gap:
    """Sequence numbers missing from the stored chain, and the break that reported them."""

    first: int
    last: int
    break_index: int


@dataclass
class ChainWalker:
    """Checks rows fed in seq order, continuing from `anchor` (the genesis hash when starting at seq 0).

    `keys` maps an evidence key id to (appliance id, key): only a bundle signed by a key registered
    for the appliance it names verifies.
    """

    site_id: str
    keys: Mapping[str, tuple[str, VerifyKey]]
    start_seq: int = 0
    anchor: str | None = None
    breaks: list[ChainBreak] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    checked: int = 0
    last: ChainRow | None = None
    first_bad_seq: int | None = None

    def __post_init__(self) -> None:
        self.expected = self.start_seq
        if self.anchor is None and self.start_seq == 0:
            self.anchor = GENESIS_HASH

    @property
    def verified_up_to(self) -> int | None:
        """The last seq up to which every entry checked holds (None when even the first does not)."""
        end = self.expected - 1 if self.first_bad_seq is None else self.first_bad_seq - 1
        return end if end >= self.start_seq else None

    def feed(self, rows: Iterable[ChainRow]) -> None:
        """Check the next rows (ascending seq, continuing where the last call stopped)."""
        for row in rows:
            self._row(row)

    def finish(self, length: int, head_hash: str | None) -> None:
        """Compare the walk's end with the chain head: bundles missing from the end, or a forged head."""
        tail = self.last.bundle_id if self.last else "(none)"
        if length > self.expected:
            self._gap(self.expected, length - 1, tail, self.last.seq if self.last else -1,
                      f"seq {self._span(self.expected, length - 1)} missing from the end of the chain: the head "
                      f"records {length} bundles, the last stored is seq {self.expected - 1}")
        elif head_hash is not None and self.anchor is not None and length == self.expected and head_hash != self.anchor:
            self._add(tail, self.expected - 1, "prev_mismatch", f"the chain head records hash {head_hash[:16]}…, "
                      f"but the last bundle {tail} hashes to {self.anchor[:16]}…")

    # --- one row ----------------------------------------------------------------------------------

    def _row(self, row: ChainRow) -> None:
        name = f"bundle {row.bundle_id} (seq {row.seq})"
        if row.seq > self.expected:
            self._gap(self.expected, row.seq - 1, row.bundle_id, row.seq,
                      f"seq {self._span(self.expected, row.seq - 1)} missing before {name}")
            self.anchor = None  # what the missing entries hashed to is unknown: the gap is the break
        self.expected = row.seq + 1
        self.checked += 1
        self.last = row
        try:
            signed = parse_signed(row.signed or "")
        except EvidenceError as exc:
            self._add(row.bundle_id, row.seq, "altered", f"{name} was altered: the stored bundle does not parse ({exc})")
            self.anchor = row.chain_hash
            return
        bundle = signed.bundle
        if bundle.bundle_id != row.bundle_id:
            self._add(row.bundle_id, row.seq, "altered", f"{name} was altered: it now holds bundle {bundle.bundle_id}")
        if bundle.site_id != self.site_id:
            self._add(row.bundle_id, row.seq, "site", f"{name} belongs to site {bundle.site_id}, not {self.site_id}")
        try:
            recomputed = chain_hash(row.prev_hash or "", bundle_hash(signed))
        except EvidenceError:
            recomputed = None
        if recomputed is None or recomputed != row.chain_hash:
            shown = f"{recomputed[:16]}…" if recomputed else "nothing (its prev_hash is not a hash)"
            self._add(row.bundle_id, row.seq, "altered", f"{name} was altered: its content hashes to {shown}, "
                      f"the chain recorded {(row.chain_hash or '')[:16]}…")
        if self.anchor is not None and row.prev_hash != self.anchor:
            kind = "genesis" if row.seq == 0 else "prev_mismatch"
            self._add(row.bundle_id, row.seq, kind, f"{name}'s prev_hash does not match the hash of the entry "
                      "before it: a bundle was removed, inserted or altered")
        self._signature(row, name, signed)
        self.anchor = row.chain_hash

    def _signature(self, row: ChainRow, name: str, signed) -> None:
        found = self.keys.get(signed.key_id)
        if found is None:
            self._add(row.bundle_id, row.seq, "altered",
                      f"{name}: signed by key {signed.key_id}, which no appliance of this site registered")
            return
        appliance_id, key = found
        if appliance_id != signed.bundle.appliance_id or (row.appliance_id and row.appliance_id != appliance_id):
            self._add(row.bundle_id, row.seq, "altered",
                      f"{name}: key {signed.key_id} belongs to appliance {appliance_id}, not {signed.bundle.appliance_id}")
        try:
            verify_signed(signed, key)
        except EvidenceError as exc:
            self._add(row.bundle_id, row.seq, "altered", f"{name}: {exc}")

    # --- recording --------------------------------------------------------------------------------

    def _add(self, bundle_id: str, seq: int, kind: str, detail: str) -> None:
        self.breaks.append(ChainBreak(bundle_id=bundle_id, seq=max(seq, 0), kind=kind, detail=detail))
        self.first_bad_seq = seq if self.first_bad_seq is None else min(self.first_bad_seq, seq)

    def _gap(self, first: int, last: int, bundle_id: str, seq: int, detail: str) -> None:
        self.gaps.append(Gap(first, last, len(self.breaks)))
        self.breaks.append(ChainBreak(bundle_id=bundle_id, seq=max(seq, 0), kind="gap", detail=detail))
        self.first_bad_seq = first if self.first_bad_seq is None else min(self.first_bad_seq, first)

    @staticmethod
    def _span(first: int, last: int) -> str:
        return str(first) if first == last else f"{first}..{last}"
