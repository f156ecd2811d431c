"""Ninety days of an office fleet's past, as the telemetry its appliances would have sent.

Drift is drawn per device, check and day from the same runbook catalog and examples the live
simulated hosts use, so history and live incidents share pattern signatures. Drifts a builtin rule
covers were healed at L1; the rest went to the L2 planner (recorded as an Anthropic answer with its
tokens and cost) or, when disruptive or uncertain, to a human. Each L2 pattern has its own true
success rate: most are reliable, a few are not, so the flywheel has real evidence to weigh.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from cli.demo.fleet import Device, Office
from contracts.incidents import (
    CheckResult,
    CheckStatus,
    HealingOutcome,
    Incident,
    L2Decision,
    OutcomeStatus,
    Tier,
)
from contracts.rules import RuleSet
from contracts.runbooks import RunbookCatalog
from contracts.telemetry import (
    DeviceScan,
    EscalationRequest,
    EventKind,
    OpenPort,
    SoftwareItem,
    TelemetryEvent,
    event,
)

HISTORY_MODEL = "claude-sonnet-4-5"
_PRICE_IN, _PRICE_OUT = 3.0 / 1e6, 15.0 / 1e6  # dollars per token
# Patterns L2 handled poorly in the past: the gate must not promote them.
UNRELIABLE = {("log_retention", "windows"): 0.6, ("log_retention", "linux"): 0.55}
RELIABLE_SUCCESS = 0.96
L1_SUCCESS = 0.97
SNAPSHOT_EVERY_DAYS = 7  # a full pass/fail snapshot of every check, weekly; failures daily


def history_events(office: Office, site_id: str, *, days: int, end: datetime, seed: int,
                   catalog: RunbookCatalog, rules: RuleSet, drift_rate: float) -> Iterator[TelemetryEvent]:
    """Every telemetry event of one office's past `days` days, oldest first."""
    rng = random.Random(f"history:{seed}:{office.name}")
    start = end - timedelta(days=days)
    for device in office.devices:
        yield from _inventory(device, site_id, start)
    for day in range(days):
        day_start = start + timedelta(days=day)
        for device in office.devices:
            snapshot = day % SNAPSHOT_EVERY_DAYS == 0
            for runbook in catalog.for_platform(device.platform):
                at = day_start + timedelta(seconds=rng.randint(6 * 3600, 20 * 3600))
                if rng.random() >= drift_rate:
                    if snapshot:
                        yield event(EventKind.CHECK_RESULT, CheckResult(
                            site_id=site_id, host=device.host, check_type=runbook.check_type,
                            platform=device.platform, status=CheckStatus.PASS,
                            hipaa_controls=list(runbook.hipaa_citations), observed_at=at))
                    continue
                yield from _drift(rng, device, site_id, runbook, at, rules)


def _inventory(device: Device, site_id: str, at: datetime) -> Iterator[TelemetryEvent]:
    for cpe in device.software:
        parts = cpe.split(":")
        yield event(EventKind.SOFTWARE_INVENTORY, SoftwareItem(
            site_id=site_id, host=device.host, cpe=cpe, product=parts[4], version=parts[5], observed_at=at))
    ports = [OpenPort(port=p, service=_SERVICES.get(p, "")) for p in device.ports]
    yield event(EventKind.DEVICE_SCAN, DeviceScan(
        site_id=site_id, host=device.host, ip=device.ip, os=device.platform, device_type=device.role,
        open_ports=ports, scanned_at=at))


_SERVICES = {21: "ftp", 22: "ssh", 80: "http", 104: "dicom", 135: "msrpc", 443: "https", 445: "microsoft-ds",
             873: "rsync", 3389: "ms-wbt-server", 5432: "postgresql", 5900: "vnc"}


def _drift(rng: random.Random, device: Device, site_id: str, runbook, at: datetime,
           rules: RuleSet) -> Iterator[TelemetryEvent]:
    details = dict(rng.choice(runbook.examples)) if runbook.examples else {"drifted": True}
    incident = Incident(site_id=site_id, host=device.host, check_type=runbook.check_type,
                        platform=device.platform, severity=runbook.severity, details=details,
                        hipaa_controls=list(runbook.hipaa_citations), observed_at=at)
    sig = incident.pattern_signature
    yield event(EventKind.CHECK_RESULT, CheckResult(
        site_id=site_id, host=device.host, check_type=runbook.check_type, platform=device.platform,
        status=CheckStatus.FAIL, details=details, hipaa_controls=list(runbook.hipaa_citations), observed_at=at))
    yield event(EventKind.INCIDENT, incident)
    done = at + timedelta(seconds=rng.randint(20, 600))
    rule = rules.match(incident)
    if rule is not None and rule.action == "execute_runbook":
        healed = rng.random() < L1_SUCCESS
        yield _outcome(incident, Tier.L1, healed, runbook.id, done, rule_id=rule.id,
                       duration=rng.uniform(40, 95))
    elif runbook.disruptive:
        yield from _escalate(incident, done, "disruptive runbook needs a human")
    else:
        confidence = round(rng.uniform(0.55, 0.98), 3)
        tokens_in, tokens_out = rng.randint(700, 1400), rng.randint(90, 220)
        decision = L2Decision(
            incident_id=incident.incident_id, site_id=site_id, runbook_id=runbook.id,
            reasoning=f"{runbook.check_type} drift on {device.platform}: {runbook.name}",
            confidence=confidence, pattern_signature=sig, provider="anthropic", model=HISTORY_MODEL,
            input_tokens=tokens_in, output_tokens=tokens_out,
            cost_usd=round(tokens_in * _PRICE_IN + tokens_out * _PRICE_OUT, 6),
            latency_ms=round(rng.uniform(1800, 4800), 1), decided_at=at + timedelta(seconds=3))
        yield event(EventKind.L2_DECISION, decision)
        if decision.requires_human_review:
            yield from _escalate(incident, done, f"L2 confidence {confidence:.2f} below 0.70")
            return
        success = UNRELIABLE.get((runbook.check_type, device.platform), RELIABLE_SUCCESS)
        yield _outcome(incident, Tier.L2, rng.random() < success, runbook.id, done,
                       decision_id=decision.decision_id, duration=rng.uniform(2500, 5200))


def _outcome(incident: Incident, tier: Tier, healed: bool, runbook_id: str, at: datetime,
             *, rule_id: str | None = None, decision_id: str | None = None, duration: float) -> TelemetryEvent:
    status = OutcomeStatus.HEALED if healed else OutcomeStatus.FAILED
    return event(EventKind.HEALING_OUTCOME, HealingOutcome(
        incident_id=incident.incident_id, site_id=incident.site_id, host=incident.host, tier=tier,
        status=status, runbook_id=runbook_id, rule_id=rule_id, decision_id=decision_id,
        pattern_signature=incident.pattern_signature, duration_ms=round(duration, 1),
        before={"status": "fail", **incident.details},
        after={"status": "pass"} if healed else {"status": "fail", **incident.details},
        error=None if healed else "check still failing after remediation", finished_at=at))


def _escalate(incident: Incident, at: datetime, reason: str) -> Iterator[TelemetryEvent]:
    yield event(EventKind.ESCALATION, EscalationRequest(
        site_id=incident.site_id, incident_id=incident.incident_id, host=incident.host,
        check_type=incident.check_type, severity=incident.severity, reason=reason,
        pattern_signature=incident.pattern_signature, details=incident.details, requested_at=at))
    yield _outcome_escalated(incident, at)


def _outcome_escalated(incident: Incident, at: datetime) -> TelemetryEvent:
    return event(EventKind.HEALING_OUTCOME, HealingOutcome(
        incident_id=incident.incident_id, site_id=incident.site_id, host=incident.host, tier=Tier.L3,
        status=OutcomeStatus.ESCALATED, pattern_signature=incident.pattern_signature, finished_at=at))
