"""Stamping batch roots through OpenTimestamps calendars, and upgrading pending proofs to Bitcoin.

Nothing here can block a pipeline: each calendar request has the resource's timeout, and once no
calendar answers, the remaining batches wait for the next run (recorded, never retried in a loop).
A confirmed proof is checked against a block header when a header source is configured; otherwise
the block height is recorded and its time stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from pipelines.evidence import store
from pipelines.evidence.resources import OtsCalendars
from warehouse.evidence.attest import verify_ots
from warehouse.evidence.errors import CalendarError, CalendarUnreachableError, EvidenceVerifyError
from warehouse.evidence.ots import parse_ots


@dataclass
class AnchorRun:
    """What one stamping or upgrade run did."""

    attempted: int = 0
    stamped: int = 0
    confirmed: int = 0
    upgraded: int = 0
    still_pending: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    heights: list[int] = field(default_factory=list)


async def stamp_batches(conn: asyncpg.Connection, calendars: OtsCalendars, limit: int) -> AnchorRun:
    """Stamp each unstamped batch root; when no calendar answers, stop and leave the rest for next time."""
    run = AnchorRun()
    batches = await store.unstamped(conn, limit)
    with calendars.client() as client:
        for index, batch in enumerate(batches):
            run.attempted += 1
            try:
                result = client.stamp(bytes.fromhex(batch["root"]))
            except CalendarError as exc:
                run.failed += 1
                run.errors.append(str(exc))
                await store.stamp_failed(conn, batch["id"], str(exc))
                run.deferred = len(batches) - index - 1  # the calendars are down: do not hammer them
                break
            partial = "; ".join(map(str, result.failures)) or None
            await store.stamped(conn, batch["id"], result.ots, result.calendars, partial)
            run.stamped += 1
            if partial:
                run.errors.append(partial)
    return run


async def upgrade_batches(conn: asyncpg.Connection, calendars: OtsCalendars, limit: int) -> AnchorRun:
    """Ask the calendars whether Bitcoin confirmed each pending proof; record whatever changed."""
    run = AnchorRun()
    batches = await store.pending(conn, limit)
    headers = calendars.headers() if batches else None
    with calendars.client() as client:
        for index, batch in enumerate(batches):
            run.attempted += 1
            try:
                result = client.upgrade(bytes(batch["ots"]))
            except ValueError as exc:  # the stored proof does not parse: say so, keep it for a person
                run.failed += 1
                run.errors.append(f"batch {batch['id']}: {exc}")
                await store.upgraded(conn, batch, bytes(batch["ots"]), "pending", None, None, str(exc))
                continue
            errors = [str(f) for f in result.failures]
            if not result.complete:
                run.still_pending += 1
                run.upgraded += int(result.changed)
                await store.upgraded(conn, batch, result.ots, "pending", None, None, "; ".join(errors) or None)
                if result.failures and all(isinstance(f, CalendarUnreachableError) for f in result.failures) \
                        and not result.changed:
                    run.errors += errors
                    run.deferred = len(batches) - index - 1
                    break
                continue
            height, when, problem = _confirmation(result.ots, bytes.fromhex(batch["root"]), headers)
            if problem is not None and height is None:
                run.failed += 1
                run.errors.append(f"batch {batch['id']}: {problem}")
                await store.upgraded(conn, batch, bytes(batch["ots"]), "pending", None, None, problem)
                continue
            await store.upgraded(conn, batch, result.ots, "confirmed", height, when, problem)
            run.confirmed += 1
            run.heights.append(height)
    return run


def _confirmation(ots: bytes, root: bytes, headers) -> tuple[int | None, datetime | None, str | None]:
    """(block height, block time, problem) of a complete proof; a failed check gives no height."""
    try:
        heights = sorted(a.height for _, a in parse_ots(ots).attestations() if a.kind == "bitcoin" and a.height)
    except EvidenceVerifyError as exc:
        return None, None, f"upgraded proof does not parse: {exc}"
    if not heights:
        return None, None, "the calendar's upgrade carries no Bitcoin attestation"
    if headers is None:
        return heights[0], None, None
    result = verify_ots(ots, headers, digest=root)
    if result.verified and result.best is not None:
        return result.best.height, datetime.fromtimestamp(result.best.time or 0, UTC), None
    if result.status in ("missing-header", "pending"):
        return heights[0], None, f"block time unknown: {result.reason}"
    return None, None, f"upgraded proof does not verify: {result.reason}"
