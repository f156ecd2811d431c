"""Guardrails every L2 answer passes, whichever planner gave it: nothing outside the catalog ever runs.

Each check yields a verdict (`ok`, `detail`) recorded with the decision. Two kinds of failure:
*blocking* (the runbook is not in the catalog, not written for the platform, not one the appliance
offered, or its params do not fit) replaces the runbook with none, so the appliance cannot run it;
*review* (another check type than the incident's, confidence under the threshold) keeps the
suggestion but hands it to a human first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.errors import RunbookError
from contracts.incidents import CONFIDENCE_THRESHOLD, Incident
from contracts.runbooks import RunbookCatalog

BLOCKING = ("proposed", "catalog", "platform", "offered", "params")
"""Checks whose failure means no runbook at all (the order they are evaluated in)."""
REVIEW = ("check_type", "confidence")
"""Checks whose failure keeps the runbook but requires a human."""


@dataclass(frozen=True)
class Answer:
    """What a planner proposed, before any guardrail."""

    runbook_id: str | None
    reasoning: str
    confidence: float
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Guarded:
    """An answer after the guardrails: what may run, whether a human must look first, and why."""

    runbook_id: str | None
    params: dict[str, Any]
    requires_human_review: bool
    checks: dict[str, dict[str, Any]]
    proposed_runbook_id: str | None

    def record(self) -> dict[str, Any]:
        """The JSON stored with the decision."""
        return {
            "checks": self.checks,
            "proposed_runbook_id": self.proposed_runbook_id,
            "params": self.params,
            "passed": all(c["ok"] for c in self.checks.values()),
        }


def _verdict(ok: bool, detail: str) -> dict[str, Any]:
    return {"ok": ok, "detail": detail}


def apply(
    catalog: RunbookCatalog,
    answer: Answer,
    *,
    incident: Incident,
    platform: str,
    offered: Collection[str] = (),
) -> Guarded:
    """Run every check on an answer; `offered` empty means the appliance runs the whole catalog."""
    checks: dict[str, dict[str, Any]] = {}
    rid = answer.runbook_id
    params: dict[str, Any] = {}
    blocked = False

    def fail_block(name: str, detail: str) -> None:
        nonlocal blocked
        checks[name] = _verdict(False, detail)
        blocked = True

    if not isinstance(rid, str) or not rid:
        fail_block("proposed", "the planner proposed no runbook")
    else:
        checks["proposed"] = _verdict(True, rid)
        rb = catalog.get(rid) if rid in catalog else None
        if rb is None:
            # The id is not echoed at full length: it came from a model and may be arbitrary text.
            fail_block("catalog", f"{rid[:80]!r} is not in the runbook catalog")
        else:
            checks["catalog"] = _verdict(True, "in the catalog")
            if not (catalog.allowed(rid, platform) and incident.platform == platform):
                fail_block("platform", f"written for {rb.platform}; request {platform}, incident {incident.platform}")
            else:
                checks["platform"] = _verdict(True, platform)
            if offered and rid not in offered:
                fail_block("offered", "not among the runbooks this appliance can run")
            elif offered:
                checks["offered"] = _verdict(True, "offered by the appliance")
            try:
                params = rb.check_params(answer.params)
                checks["params"] = _verdict(True, "fit the runbook's schema")
            except RunbookError as exc:
                fail_block("params", str(exc))
            same = rb.check_type == incident.check_type
            checks["check_type"] = _verdict(
                same, rb.check_type if same else f"runbook heals {rb.check_type}, incident is {incident.check_type}"
            )
    confident = answer.confidence >= CONFIDENCE_THRESHOLD
    checks["confidence"] = _verdict(
        confident, f"{answer.confidence:.2f} {'>=' if confident else '<'} {CONFIDENCE_THRESHOLD}"
    )
    review = blocked or not all(checks[name]["ok"] for name in REVIEW if name in checks)
    return Guarded(
        runbook_id=None if blocked else rid,
        params={} if blocked else params,
        requires_human_review=review,
        checks=checks,
        proposed_runbook_id=rid[:200] if isinstance(rid, str) else None,
    )
