"""Evidence at Central Command: each bundle's appliance signature verified, then chained per site.

Telemetry ingest calls `verify_rows` before it opens its transaction (a bundle that does not verify
refuses the whole batch, naming the event, so nothing of it is stored) and `append` inside the
transaction, after the merge stored the rows. `append` locks the site's chain head row
(`SELECT … FOR UPDATE`), so concurrent batches for one site queue instead of forking the chain; the
new bundles take the next `chain_seq` values in the order the appliance sent them, each `prev_hash`
the chain hash of the bundle before. A `pg_notify` on `store.CHANNEL` reaches every server's evidence
stream when, and only if, the transaction commits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import nacl.exceptions
import nacl.signing

from contracts.errors import EvidenceError
from contracts.evidence import SignedEvidence, bundle_hash, chain_hash, parse_signed, verify_signed
from contracts.telemetry import EventKind
from serving.errors import BadRequest, Conflict
from serving.services.auth import ApplianceIdentity
from warehouse.evidence import store
from warehouse.sql_files import sql

_KIND = EventKind.EVIDENCE_BUNDLE.value
_THREAD_FROM = 64  # about 5 ms of verifying: above that the loop should not wait for it


@dataclass(frozen=True)
class Verified:
    """A bundle whose appliance signature verified: the parsed form, its exact text, its bundle hash."""

    event_id: str
    signed: SignedEvidence
    text: str
    bundle_hash: str


@dataclass(frozen=True)
class Appended:
    """What one append added to a site's chain."""

    site_id: uuid.UUID
    first_seq: int
    last_seq: int
    head_hash: str

    @property
    def count(self) -> int:
        """How many bundles were chained."""
        return self.last_seq - self.first_seq + 1


def _verify_key(appliance: ApplianceIdentity) -> nacl.signing.VerifyKey:
    if appliance.signing_public_key is None:
        raise Conflict(f"appliance {appliance.id} has no evidence signing key registered "
                       "(PUT /api/appliances/me/keys first); its evidence bundles are refused")
    try:
        return nacl.signing.VerifyKey(bytes(appliance.signing_public_key))
    except (nacl.exceptions.CryptoError, TypeError, ValueError):
        raise Conflict(f"appliance {appliance.id}'s registered evidence key is not an Ed25519 key") from None


def verify_rows(appliance: ApplianceIdentity, rows: Sequence[tuple[str, str, str]]) -> dict[str, Verified]:
    """The batch's evidence rows (event_id, kind, payload JSON), each verified with the appliance's key.

    Raises BadRequest naming the first event that is malformed, signed by another key, altered, or
    names another appliance; Conflict when the appliance never registered an evidence key.
    """
    verified: dict[str, Verified] = {}
    key: nacl.signing.VerifyKey | None = None
    for event_id, kind, payload in rows:
        if kind != _KIND or event_id in verified:
            continue  # a repeated event id is merged once, as its first copy: verify that one
        try:
            signed = parse_signed(payload)
        except EvidenceError as exc:
            raise BadRequest(f"event {event_id}: {exc}") from None
        bundle = signed.bundle
        if bundle.appliance_id != str(appliance.id):
            raise BadRequest(f"event {event_id}: evidence bundle {bundle.bundle_id[:64]} names appliance "
                             f"{bundle.appliance_id[:64]!r}, but this API key is appliance {appliance.id}")
        key = key or _verify_key(appliance)
        try:
            verify_signed(signed, key)
            digest = bundle_hash(signed)
        except EvidenceError as exc:
            raise BadRequest(f"event {event_id}: evidence refused: {exc}") from None
        except ValueError as exc:  # e.g. an unpaired surrogate: no UTF-8 form, so nothing was signed
            raise BadRequest(f"event {event_id}: evidence bundle has no canonical form: {exc}") from None
        verified[event_id] = Verified(event_id, signed, payload, digest)
    return verified


async def verify_batch(appliance: ApplianceIdentity, rows: Sequence[tuple[str, str, str]]) -> dict[str, Verified]:
    """`verify_rows`, on a worker thread when the batch is large (the event loop keeps serving meanwhile)."""
    count = sum(1 for _, kind, _ in rows if kind == _KIND)
    if count < _THREAD_FROM:
        return verify_rows(appliance, rows)
    return await asyncio.to_thread(verify_rows, appliance, rows)


async def append(conn: asyncpg.Connection, appliance: ApplianceIdentity,
                 verified: dict[str, Verified]) -> Appended | None:
    """Chain the verified bundles the merge just stored (replays are skipped); call inside its transaction."""
    if not verified:
        return None
    site_id = appliance.site_id
    await conn.execute(sql("evidence/head_ensure"), site_id)
    head = await conn.fetchrow(sql("evidence/head_lock"), site_id)
    stored = {r["event_id"] for r in await conn.fetch(sql("evidence/unchained"), site_id, list(verified))}
    if not stored:
        return None
    first = seq = int(head["length"])
    prev = head["head_hash"]
    columns: list[list[Any]] = [[] for _ in range(8)]
    newest: datetime | None = None
    for item in verified.values():  # the order the appliance sent them: that is arrival order
        if item.event_id not in stored:
            continue
        entry_hash = chain_hash(prev, item.bundle_hash)
        created = item.signed.bundle.created_at
        for column, value in zip(columns, (item.event_id, seq, item.bundle_hash, prev, entry_hash,
                                           item.signed.key_id, item.text, created), strict=True):
            column.append(value)
        newest = created if newest is None or created > newest else newest
        prev, seq = entry_hash, seq + 1
    await conn.execute(sql("evidence/chain_rows"), *columns)
    await conn.execute(sql("evidence/head_update"), site_id, seq, prev, newest)
    key = bytes(appliance.signing_public_key or b"")
    await conn.execute(sql("evidence/key_record"), appliance.id, columns[5][0], key)
    appended = Appended(site_id, first, seq - 1, prev)
    await store.notify(conn, {"type": "bundles", "site_id": str(site_id), "from_seq": first,
                              "to_seq": seq - 1, "head_hash": prev})
    return appended

