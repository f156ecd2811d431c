"""Evidence on the appliance: one bundle per check run and per heal, signed with its own Ed25519 key.

A bundle records what was checked (check type, target), the result, the facts before (and, for a
heal, after) and when, as canonical JSON signed by `contracts.evidence.sign_bundle` (about 30 µs).
Facts are PHI-scrubbed first, like every free-form field that leaves the device. Bundles travel as
`evidence_bundle` telemetry events through the outbox; Central Command verifies the signature with
the key the appliance registered and chains them per site.

`MSP_EVIDENCE` chooses how much: `all` (every check run and every heal, the default), `heals`, or
`off`. Check-run bundles are routine and shed like check results when the outbox is nearly full; a
heal's bundle is written in the transaction that records the heal's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import nacl.signing

from agent.errors import OutboxFullError
from agent.outbox import Outbox
from contracts.evidence import EvidenceBundle, SignedEvidence, sign_bundle
from contracts.incidents import CheckResult, HealingOutcome, OutcomeStatus, new_id
from contracts.telemetry import EventKind, TelemetryEvent

log = logging.getLogger(__name__)

EvidenceMode = Literal["all", "heals", "off"]
HEAL_STATUSES = frozenset({OutcomeStatus.HEALED, OutcomeStatus.FAILED})
"""Outcomes where a runbook ran: those are heals. Suppressions, escalations and dry-run plans changed nothing."""
_LIMIT = 512  # the contract's longest target; a longer host name is cut, not refused


def _scrub(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    if not facts:
        return facts
    from contracts.phi import Scrubber

    return Scrubber().scrub_obj(facts)  # one scrubber per bundle: placeholders never span two bundles


def check_bundle(result: CheckResult, appliance_id: str) -> EvidenceBundle:
    """The evidence of one check run: its result and the facts the check observed (scrubbed)."""
    return EvidenceBundle(
        bundle_id=new_id(), site_id=result.site_id, appliance_id=appliance_id, kind="check",
        check_type=result.check_type, target=result.host[:_LIMIT] or "-", result=result.status.value,
        before=_scrub(result.details), after=None, created_at=utc(result.observed_at),
    )


def heal_bundle(outcome: HealingOutcome, check_type: str, appliance_id: str) -> EvidenceBundle:
    """The evidence of one heal: the facts before, and after it the closed-loop re-check and what ran."""
    ran = {"incident_id": outcome.incident_id, "tier": outcome.tier.value, "runbook_id": outcome.runbook_id,
           "rule_id": outcome.rule_id, "decision_id": outcome.decision_id,
           "duration_ms": round(outcome.duration_ms, 1), "error": outcome.error}
    return EvidenceBundle(
        bundle_id=new_id(), site_id=outcome.site_id, appliance_id=appliance_id, kind="heal",
        check_type=check_type, target=outcome.host[:_LIMIT] or "-", result=outcome.status.value,
        before=dict(outcome.before), after={**outcome.after, "heal": {k: v for k, v in ran.items() if v is not None}},
        created_at=utc(outcome.finished_at),
    )


def evidence_event(signed: SignedEvidence) -> TelemetryEvent:
    """A signed bundle as a telemetry event; its id is the bundle id, so a resend is stored once."""
    return TelemetryEvent(event_id=signed.bundle.bundle_id, kind=EventKind.EVIDENCE_BUNDLE,
                          payload=signed.model_dump(mode="json"))


class EvidenceRecorder:
    """Signs the appliance's evidence and queues it in the outbox, as `mode` asks."""

    def __init__(self, signing_key: nacl.signing.SigningKey, outbox: Outbox, *, mode: EvidenceMode = "all"):
        self.signing_key = signing_key
        self.outbox = outbox
        self.mode = mode
        self.unattributed = 0  # runs before the first check-in named this appliance: nothing to sign as
        self.unsignable = 0

    def checks(self, results: Sequence[CheckResult]) -> int:
        """Queue one bundle per check run (one transaction for all); returns how many were queued."""
        if self.mode != "all" or not results:
            return 0
        events = []
        for result in results:
            if not result.appliance_id:
                self.unattributed += 1
                continue
            event = self._sign(lambda r=result: check_bundle(r, r.appliance_id))
            if event is not None:
                events.append(event)
        try:
            return self.outbox.add(events, sheddable=True)
        except OutboxFullError:
            log.warning("outbox full: %d check-run evidence bundles not recorded", len(events))
            return 0

    def heal(self, outcome: HealingOutcome, check_type: str, appliance_id: str | None) -> bool:
        """Queue the bundle of a heal (joining the caller's transaction); False when none is due."""
        if self.mode == "off" or outcome.status not in HEAL_STATUSES:
            return False
        if not appliance_id:
            self.unattributed += 1
            return False
        event = self._sign(lambda: heal_bundle(outcome, check_type, appliance_id))
        return event is not None and bool(self.outbox.add([event]))

    def _sign(self, build: Callable[[], EvidenceBundle]) -> TelemetryEvent | None:
        try:
            return evidence_event(sign_bundle(build(), self.signing_key))
        except ValueError as exc:
            # Facts a check printed that JSON cannot carry faithfully (NaN, an unpaired surrogate):
            # nothing can be signed for them; the check result itself still travels.
            self.unsignable += 1
            log.warning("evidence bundle not signed: %s", str(exc).splitlines()[0])
            return None


def utc(moment: datetime) -> datetime:
    """A datetime as aware UTC (naive values are taken to be UTC already)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
