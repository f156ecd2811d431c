"""Heal commands for drift acknowledgements: the server's current rules bundle, as a signed order.

When an appliance reports drift with `request_heal` (its own L1 rules had no answer), the newest
published bundle may already hold a rule it has not synced yet. A match with `execute_runbook`
becomes an `execute_runbook` order signed like every other order, so the appliance runs nothing it
has not verified. The bundle's rules are compiled once per digest.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg
import nacl.signing

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring
from contracts.errors import ContractError
from contracts.incidents import Incident
from contracts.orders import OrderPolicy
from contracts.rules import RuleSet, load_rules
from protos.compliance.v1 import compliance_pb2 as pb
from serving.errors import ServingError
from serving.grpc.convert import envelope
from serving.services import bundles, orders
from serving.services.auth import ApplianceIdentity
from warehouse.rows import _uid
from warehouse.sql_files import sql

log = logging.getLogger("osiris.serving.grpc")


class HealPlanner:
    """Matches incidents against the current bundle and issues the heal order."""

    def __init__(
        self, signing_key: nacl.signing.SigningKey, *, policy: OrderPolicy, ttl: timedelta = timedelta(minutes=15)
    ):
        self.signing_key = signing_key
        self.policy = policy
        self.ttl = ttl
        self._compiled: tuple[str, int, RuleSet] | None = None

    async def _rules(self, pool: asyncpg.Pool) -> tuple[int, RuleSet] | None:
        head = await bundles.current_digest(pool)
        if head is None:
            return None
        version, digest = head
        if self._compiled is None or self._compiled[0] != digest:
            bundle = await bundles.current(pool)
            if bundle is None:
                return None
            # Verify what we serve: a bundle this server cannot verify is not one to act on.
            payload = verify_bundle(bundle.envelope, Keyring.of(self.signing_key.verify_key))
            self._compiled = (bundle.digest, bundle.version, load_rules(payload.rules))
        return self._compiled[1], self._compiled[2]

    async def plan(self, pool: asyncpg.Pool, appliance: ApplianceIdentity, incident: Incident) -> pb.HealCommand | None:
        """A signed heal command for the incident, or None when no active rule says to run a runbook."""
        try:
            current = await self._rules(pool)
        except ContractError as exc:
            log.warning("current rules bundle unusable for heal planning: %s", exc)
            return None
        if current is None:
            return None
        version, rules = current
        rule = rules.match(incident, site_id=str(appliance.site_id))
        if rule is None or rule.action != "execute_runbook" or rule.runbook_id is None:
            return None
        params = {"runbook_id": rule.runbook_id, "target": incident.host, "params": rule.params}
        try:
            order = await orders.create_order(
                pool, appliance_id=appliance.id, order_type="execute_runbook", params=params,
                signing_key=self.signing_key, kind="healing", created_by=f"grpc:heal:{rule.id}",
                ttl=self.ttl, policy=self.policy,
            )
        except ServingError as exc:
            # The rule's params or the target fall outside the order allowlist: the event is still
            # stored and acknowledged, only without a heal.
            log.warning("no heal order for incident %s (rule %s): %s", incident.incident_id, rule.id, exc.message)
            return None
        await pool.execute(sql("serving/grpc/order_delivered"), _uid(order["id"]))
        return pb.HealCommand(
            rule_id=rule.id, runbook_id=rule.runbook_id, bundle_version=version, order=envelope(order["envelope"])
        )
