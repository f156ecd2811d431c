"""Asking L2 for a plan: scrub PHI, ask Central Command, then re-check the answer on the appliance.

Whatever the server's guardrails said, nothing runs here unless the same checks pass locally:
the runbook is in this appliance's catalog, written for the target's platform and for the drift's
check type, its params fit the schema, the planner is at least CONFIDENCE_THRESHOLD sure and did
not ask for a human. Params come as `params` or, as Central Command sends them, `guardrails.params`.
Placeholders in the plan (`[IP_1]`) are turned back into real values with the local PHI mapping,
which never leaves the device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from agent.central import CentralClient
from agent.errors import (
    CentralAuthError,
    CentralProtocolError,
    CentralRejectedError,
    CentralUnavailableError,
    NotOfferedError,
)
from contracts.api import L2PlanRequest
from contracts.errors import RunbookError
from contracts.incidents import CONFIDENCE_THRESHOLD, Incident, L2Decision
from contracts.runbooks import Runbook, RunbookCatalog


@dataclass
class L2Plan:
    """The outcome of asking L2: a runnable plan, a refusal (escalate), or no answer (retry later)."""

    decision: L2Decision | None = None
    runbook: Runbook | None = None
    params: dict[str, Any] = field(default_factory=dict)
    refused: str | None = None  # guardrail reason: a person decides (L3)
    unavailable: str | None = None  # no answer: retry, escalate after the configured attempts
    not_offered: bool = False  # this Central Command has no L2 endpoint: escalate at once


def scrub_incident(incident: Incident) -> tuple[Incident, dict[str, str]]:
    """A copy of the incident with PHI in its host and details replaced, and the placeholder mapping."""
    from contracts.phi import Scrubber

    scrubber = Scrubber()
    scrubbed = scrubber.scrub_obj({"host": incident.host, "details": incident.details})
    # Ids, check type, platform and signature are structure, not text about anyone: they stay as they are.
    copy = incident.model_copy(update={"host": scrubbed["host"], "details": scrubbed["details"]})
    return copy, dict(scrubber.mapping)


def _restore(value: Any, mapping: dict[str, str]) -> Any:
    from contracts.phi import restore

    if isinstance(value, str):
        return restore(value, mapping)
    if isinstance(value, dict):
        return {k: _restore(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, mapping) for v in value]
    return value


def ask_l2(central: CentralClient, incident: Incident, catalog: RunbookCatalog) -> L2Plan:
    """Ask Central Command's L2 planner about an incident and apply the appliance's own guardrails."""
    scrubbed, mapping = scrub_incident(incident)
    request = L2PlanRequest(
        incident=scrubbed, platform=incident.platform, runbooks=[rb.id for rb in catalog.for_platform(incident.platform)]
    )
    try:
        body = central.l2_plan(request)
    except NotOfferedError as exc:
        return L2Plan(unavailable=str(exc), not_offered=True)
    except (CentralUnavailableError, CentralAuthError, CentralProtocolError) as exc:
        return L2Plan(unavailable=f"{type(exc).__name__}: {exc}")
    except CentralRejectedError as exc:
        return L2Plan(refused=f"L2 refused the request: {exc}")
    return judge(body, incident, catalog, mapping)


def judge(body: dict[str, Any], incident: Incident, catalog: RunbookCatalog, mapping: dict[str, str]) -> L2Plan:
    """Turn an L2 answer into a plan the appliance may run, or a refusal saying why not."""
    body = dict(body)
    params = body.pop("params", None)
    if params is None:
        params = (body.get("guardrails") or {}).get("params") or {}
    try:
        decision = L2Decision.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        return L2Plan(unavailable=f"L2 answer does not fit L2Decision: {where}: {first.get('msg')}")
    if decision.incident_id != incident.incident_id:
        return L2Plan(decision=decision, refused=f"L2 answered about incident {decision.incident_id}")
    if not isinstance(params, dict):
        return L2Plan(decision=decision, refused="L2 params are not an object")
    if decision.runbook_id is None:
        return L2Plan(decision=decision, refused="L2 chose no runbook")
    if decision.requires_human_review or decision.confidence < CONFIDENCE_THRESHOLD:
        return L2Plan(decision=decision, refused=f"L2 confidence {decision.confidence:.2f} needs human review")
    params = _restore(params, mapping)
    try:
        runbook, checked = catalog.guard(decision.runbook_id, incident.platform, params)
    except RunbookError as exc:
        return L2Plan(decision=decision, refused=f"appliance guardrail: {exc}")
    if runbook.check_type != incident.check_type:
        return L2Plan(decision=decision, refused=f"appliance guardrail: {runbook.id} heals {runbook.check_type}, "
                                                 f"not {incident.check_type}")
    return L2Plan(decision=decision, runbook=runbook, params=checked)
