"""From a failed check to an outcome: L1 rule → runbook, else PHI-scrubbed L2 plan, else L3 (a person).

Every step lands in the outbox in the same transaction as the incident state it changes. Shadow
rules are evaluated and recorded for every incident and never acted on. Network findings (platform
"network", from the scanner) take the same path with no target and no runbook: an L1 rule escalates
them, and with no rule they go to a person too, since no runbook can fix them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agent.executors.base import Target
from agent.healer import HealResult
from agent.l2 import ask_l2
from contracts.incidents import CheckResult, HealingOutcome, Incident, OutcomeStatus, Tier
from contracts.runbooks import Runbook
from contracts.telemetry import EscalationRequest, EventKind, ShadowMatch, TelemetryEvent, event

if TYPE_CHECKING:
    from agent.agent import Agent

log = logging.getLogger(__name__)
_OPEN_WAITING = ("escalated", "suppressed", "planned")
"""Open incidents that wait for the drift to clear (a person, a suppression, a dry run): no new work."""


def outbound(obj: dict[str, Any]) -> dict[str, Any]:
    """Free-form fields of an event with PHI replaced before they leave the device."""
    from contracts.phi import Scrubber

    return Scrubber().scrub_obj(obj)


class Remediator:
    """Handles one appliance's check results through the healing tiers."""

    def __init__(self, agent: Agent):
        self.agent = agent

    # --- entry point ------------------------------------------------------------------------------

    def handle(self, target: Target, check_runbook: Runbook, result: CheckResult) -> str | None:
        """React to one check result; returns what happened (for the cycle report) or None."""
        return self._react(result, target.platform, check_runbook.severity, list(check_runbook.hipaa_citations),
                           target, check_runbook)

    def handle_network(self, result: CheckResult) -> str | None:
        """React to one network check result (`agent.network_checks`): same dedup, flap and rules, no runbook."""
        from agent.network_checks import CHECKS_BY_TYPE

        check = CHECKS_BY_TYPE[result.check_type]
        return self._react(result, result.platform, check.severity, list(check.hipaa_controls), None, None)

    def _react(self, result: CheckResult, platform: str, severity: str, citations: list[str],
               target: Target | None, check_runbook: Runbook | None) -> str | None:
        store = self.agent.store
        row = store.open_incident(result.host, result.check_type)
        if result.status.value in ("pass", "not_applicable"):
            if row is not None:
                self._resolve(row)
                return "resolved"
            return None
        if result.status.value == "error":
            return None
        if row is not None:
            if row["status"] == "pending_l2" and target is not None and check_runbook is not None:
                incident = Incident.model_validate_json(row["incident"])
                return self._l2(target, check_runbook, incident)
            if row["status"] in _OPEN_WAITING:
                return None
            # 'open' left by a crash between recording and acting: act on it now.
            return self._route(target, check_runbook, Incident.model_validate_json(row["incident"]))
        incident = Incident(
            site_id=self.agent.site_id, appliance_id=self.agent.appliance_id, host=result.host,
            check_type=result.check_type, platform=platform, severity=severity, details=result.details,
            hipaa_controls=citations,
        )
        with store.transaction():
            store.insert_incident(incident)
            sent = incident.model_copy(update={"details": outbound(incident.details)})
            self.agent.outbox.add([event(EventKind.INCIDENT, sent)])
        return self._route(target, check_runbook, incident)

    def _resolve(self, row: Any) -> None:
        incident = Incident.model_validate_json(row["incident"])
        with self.agent.store.transaction():
            self.agent.store.update_incident(incident.incident_id, "resolved", close=True)
            if row["status"] in ("escalated", "suppressed"):
                self._escalation(incident, "drift cleared", resolved=True)

    # --- tiers ------------------------------------------------------------------------------------

    def _route(self, target: Target | None, check_runbook: Runbook | None, incident: Incident) -> str:
        agent = self.agent
        self._shadow(incident)
        flap = agent.healer.flap_verdict(incident.host, incident.check_type, incident.incident_id)
        if flap.suppressed:
            with agent.store.transaction():
                agent.store.update_incident(incident.incident_id, "suppressed", tier="L1")
                self._outcome(incident, Tier.L1, HealResult(OutcomeStatus.SUPPRESSED, error="flap suppression"))
                if flap.newly:
                    self._escalation(incident, f"flapping: healed {flap.heals} times within "
                                               f"{agent.healer.policy.flap_window:g} s; auto-heal suppressed")
            return "suppressed"
        rule = agent.rules.ruleset.match(incident, site_id=agent.site_id)
        if rule is None:
            if target is None or check_runbook is None:
                return self._escalate(incident, f"no L1 rule matched and no runbook fixes a {incident.platform} finding")
            return self._l2(target, check_runbook, incident)
        if rule.action == "suppress":
            with agent.store.transaction():
                agent.store.update_incident(incident.incident_id, "suppressed", tier="L1", rule_id=rule.id)
                self._outcome(incident, Tier.L1, HealResult(OutcomeStatus.SUPPRESSED), rule_id=rule.id)
            return "suppressed"
        if rule.action == "escalate":
            return self._escalate(incident, f"L1 rule {rule.id} escalates this drift", rule_id=rule.id)
        if target is None or check_runbook is None or not agent.catalog.allowed(rule.runbook_id, incident.platform):
            return self._escalate(incident, f"L1 rule {rule.id} names {rule.runbook_id}, not runnable on "
                                            f"{incident.platform}", rule_id=rule.id)
        runbook = agent.catalog.get(rule.runbook_id)
        return self._heal(target, check_runbook, incident, runbook, rule.params, Tier.L1, rule_id=rule.id)

    def _l2(self, target: Target, check_runbook: Runbook, incident: Incident) -> str:
        agent = self.agent
        if not agent.settings.l2_enabled:
            return self._escalate(incident, "no L1 rule matched and L2 is disabled on this appliance")
        plan = ask_l2(agent.central, incident, agent.catalog)
        if plan.unavailable is not None:
            if plan.not_offered:
                return self._escalate(incident, f"no L1 rule matched and L2 is unavailable ({plan.unavailable})")
            attempts = agent.store.l2_attempt(incident.incident_id)
            if attempts < agent.settings.l2_max_attempts:
                log.info("L2 unavailable for %s (attempt %d): %s", incident.incident_id, attempts, plan.unavailable)
                return "pending_l2"
            return self._escalate(incident, f"L2 unavailable after {attempts} attempts: {plan.unavailable}")
        decision = plan.decision
        if decision is not None:
            # Keyed by decision id: Central Command recorded this decision when it made it, so this
            # copy is a no-op there (and a record where the decision came from elsewhere).
            agent.outbox.add([TelemetryEvent(event_id=decision.decision_id, kind=EventKind.L2_DECISION,
                                             payload=decision.model_dump(mode="json"))])
        if plan.refused is not None or plan.runbook is None:
            return self._escalate(incident, plan.refused or "L2 gave no runnable plan",
                                  decision_id=decision.decision_id if decision else None)
        return self._heal(target, check_runbook, incident, plan.runbook, plan.params, Tier.L2,
                          decision_id=decision.decision_id if decision else None)

    def _heal(self, target: Target, check_runbook: Runbook, incident: Incident, runbook: Runbook,
              params: dict[str, Any], tier: Tier, *, rule_id: str | None = None, decision_id: str | None = None) -> str:
        agent = self.agent
        result = agent.healer.heal(target, runbook, params, check_runbook=check_runbook, site_id=agent.site_id,
                                   appliance_id=agent.appliance_id, before={"check": "fail", "details": incident.details})
        if result.refused is not None:
            return self._escalate(incident, f"{tier.value} plan {runbook.id} not run: {result.refused}",
                                  rule_id=rule_id, decision_id=decision_id, runbook_id=runbook.id)
        status = {OutcomeStatus.HEALED: "healed", OutcomeStatus.PLANNED: "planned"}.get(result.status, "failed")
        with agent.store.transaction():
            agent.store.update_incident(incident.incident_id, status, tier=tier.value, rule_id=rule_id,
                                        runbook_id=runbook.id, close=status != "planned")
            self._outcome(incident, tier, result, runbook_id=runbook.id, rule_id=rule_id, decision_id=decision_id)
        return f"{tier.value}:{status}"

    def _escalate(self, incident: Incident, reason: str, *, rule_id: str | None = None,
                  decision_id: str | None = None, runbook_id: str | None = None) -> str:
        with self.agent.store.transaction():
            self.agent.store.update_incident(incident.incident_id, "escalated", tier="L3", rule_id=rule_id,
                                             runbook_id=runbook_id)
            self._escalation(incident, reason)
            self._outcome(incident, Tier.L3, HealResult(OutcomeStatus.ESCALATED, error=reason), rule_id=rule_id,
                          decision_id=decision_id, runbook_id=runbook_id)
        log.info("incident %s (%s on %s) escalated: %s", incident.incident_id, incident.check_type, incident.host, reason)
        return "L3:escalated"

    # --- telemetry --------------------------------------------------------------------------------

    def _outcome(self, incident: Incident, tier: Tier, result: HealResult, **ids: str | None) -> None:
        scrubbed = outbound({"before": result.before, "after": result.after, "error": result.error or ""})
        outcome = HealingOutcome(
            incident_id=incident.incident_id, site_id=incident.site_id, host=incident.host, tier=tier,
            status=result.status, pattern_signature=incident.pattern_signature, duration_ms=result.duration_ms,
            before=scrubbed["before"], after=scrubbed["after"], error=scrubbed["error"] or None, **ids,
        )
        self.agent.outbox.add([event(EventKind.HEALING_OUTCOME, outcome)])
        self.agent.evidence.heal(outcome, incident.check_type, self.agent.appliance_id)  # signed heal evidence

    def _escalation(self, incident: Incident, reason: str, *, resolved: bool = False) -> None:
        scrubbed = outbound({"reason": reason, "details": incident.details})
        request = EscalationRequest(
            site_id=incident.site_id, incident_id=incident.incident_id, host=incident.host,
            check_type=incident.check_type, severity=incident.severity, reason=scrubbed["reason"],
            pattern_signature=incident.pattern_signature, details=scrubbed["details"], resolved=resolved,
        )
        self.agent.outbox.add([event(EventKind.ESCALATION, request)])

    def _shadow(self, incident: Incident) -> None:
        matches = self.agent.rules.ruleset.shadow_matches(incident, site_id=self.agent.site_id)
        if matches:
            self.agent.outbox.add([
                event(EventKind.SHADOW_MATCH, ShadowMatch(
                    site_id=incident.site_id, incident_id=incident.incident_id, rule_id=rule.id,
                    runbook_id=rule.runbook_id, pattern_signature=incident.pattern_signature,
                ))
                for rule in matches
            ])
