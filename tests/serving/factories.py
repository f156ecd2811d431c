"""Factories for the serving tests: tokens, sites, appliances and events, made through the real API."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import nacl.public
import nacl.signing

from contracts.evidence import EvidenceBundle, sign_bundle
from contracts.incidents import CheckResult, HealingOutcome, Incident, L2Decision
from contracts.telemetry import DeviceScan, EscalationRequest, EventKind, ShadowMatch, SoftwareItem, event
from serving.services.auth import Role, create_token


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for a key or token."""
    return {"Authorization": f"Bearer {secret}"}


async def token(pool, role: str = "admin", sites: list[str] | None = None) -> str:
    """A fresh role token's secret."""
    _, secret = await create_token(pool, Role(role), [uuid.UUID(s) for s in sites or []])
    return secret


@dataclass
class ApplianceHandle:
    """A provisioned appliance: its ids, API key, and the box key pair it registered (if any)."""

    appliance_id: str
    site_id: str
    api_key: str
    box: nacl.public.PrivateKey | None
    provisioned: dict[str, Any]
    evidence: nacl.signing.SigningKey | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Its Authorization header."""
        return bearer(self.api_key)


async def site(client: httpx.AsyncClient, admin: str, name: str = "Main Street Clinic") -> str:
    """Create a site; returns its id."""
    r = await client.post("/api/sites", json={"name": name}, headers=bearer(admin))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def appliance(
    client: httpx.AsyncClient, admin: str, site_id: str, *, box: bool = True, name: str = "appliance-1",
    evidence: bool = True,
) -> ApplianceHandle:
    """Provision an appliance on a site, registering fresh box and evidence keys unless told not to."""
    key = nacl.public.PrivateKey.generate() if box else None
    signer = nacl.signing.SigningKey.generate() if evidence else None
    body: dict[str, Any] = {"name": name}
    if key is not None:
        body["box_public_key"] = base64.b64encode(bytes(key.public_key)).decode()
    if signer is not None:
        body["signing_public_key"] = base64.b64encode(bytes(signer.verify_key)).decode()
    r = await client.post(f"/api/sites/{site_id}/appliances", json=body, headers=bearer(admin))
    assert r.status_code == 201, r.text
    data = r.json()
    return ApplianceHandle(data["appliance_id"], site_id, data["api_key"], key, data, signer)


def evidence_event(handle: ApplianceHandle, **fields: Any) -> dict[str, Any]:
    """A check-run evidence bundle signed with the appliance's own key, as a telemetry event (JSON)."""
    assert handle.evidence is not None, "provision the appliance with evidence=True"
    values: dict[str, Any] = {
        "bundle_id": str(uuid.uuid4()), "site_id": handle.site_id, "appliance_id": handle.appliance_id,
        "kind": "check", "check_type": "firewall_status", "target": "pc-1", "result": "pass",
        "before": {"enabled": True}, "created_at": datetime.now(UTC)}
    values.update(fields)
    signed = sign_bundle(EvidenceBundle(**values), handle.evidence)
    return {"event_id": values["bundle_id"], "kind": "evidence_bundle", "payload": signed.model_dump(mode="json")}


def incident(site_id: str, host: str = "pc-1", **kw: Any) -> Incident:
    """An incident on a site."""
    return Incident(site_id=site_id, host=host, check_type=kw.pop("check_type", "firewall_status"),
                    platform=kw.pop("platform", "windows"), **kw)


def one_of_each(site_id: str, order_id: str | None = None,
                appliance: ApplianceHandle | None = None) -> list[dict[str, Any]]:
    """One telemetry event of every kind, as JSON (order_result only with an order id, evidence_bundle
    only with the appliance whose key signs it)."""
    inc = incident(site_id)
    decision = L2Decision(incident_id=inc.incident_id, site_id=site_id, runbook_id="RB-WIN-FIREWALL-001",
                          confidence=0.9, pattern_signature=inc.pattern_signature, cost_usd=0.001)
    events = [
        event(EventKind.INCIDENT, inc),
        event(EventKind.L2_DECISION, decision),
        event(EventKind.HEALING_OUTCOME, HealingOutcome(
            incident_id=inc.incident_id, site_id=site_id, tier="L2", status="healed",
            runbook_id="RB-WIN-FIREWALL-001", pattern_signature=inc.pattern_signature)),
        event(EventKind.CHECK_RESULT, CheckResult(
            site_id=site_id, host="pc-1", check_type="firewall_status", platform="windows", status="fail")),
        event(EventKind.DEVICE_SCAN, DeviceScan(site_id=site_id, host="printer-2", ip="10.0.0.7", os="embedded")),
        event(EventKind.SOFTWARE_INVENTORY, SoftwareItem(
            site_id=site_id, host="pc-1", cpe="cpe:2.3:a:mozilla:firefox:115.0:*:*:*:*:*:*:*")),
        event(EventKind.SHADOW_MATCH, ShadowMatch(
            site_id=site_id, incident_id=inc.incident_id, rule_id="L1-FW-9", runbook_id="RB-WIN-FIREWALL-001",
            pattern_signature=inc.pattern_signature)),
        event(EventKind.ESCALATION, EscalationRequest(
            site_id=site_id, incident_id=inc.incident_id, host="pc-1", check_type="firewall_status",
            reason="no runbook")),
    ]
    out = [e.model_dump(mode="json") for e in events]
    if appliance is not None and appliance.evidence is not None:
        out.append(evidence_event(appliance))
    if order_id is not None:
        out.append({"event_id": str(uuid.uuid4()), "kind": "order_result", "payload": {
            "site_id": site_id, "order_id": order_id, "status": "completed", "detail": "ok"}})
    return out
