"""The L1 rules in force: builtin rules, the last verified signed bundle, and promoted rules by order.

A new bundle replaces the held one only after it verifies (trusted key, exact bytes, not expired,
version strictly above the held one) and its rules validate against the runbook catalog. On any
failure the old bundle keeps working and the refused digest is remembered, so a bad bundle on the
server is reported once instead of downloaded every cycle.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.central import CentralClient
from agent.errors import CentralProtocolError
from agent.store import Store
from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, envelope_digest
from contracts.errors import EnvelopeError, RuleSetError
from contracts.incidents import utcnow
from contracts.rules import RuleSet, load_rules

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What a bundle sync did."""

    changed: bool = False
    version: int | None = None
    refused: str | None = None


class RulesInForce:
    """Builds and holds the merged rule set the cycle matches incidents against."""

    def __init__(self, store: Store, keyring: Keyring, builtin: RuleSet, runbook_ids: list[str]):
        self.store = store
        self.keyring = keyring
        self.builtin = builtin
        self.runbook_ids = runbook_ids
        self.version = 0
        self.digest: str | None = None
        self.expired = False
        self._bundle_rules: list[dict[str, Any]] = []
        self.ruleset = builtin
        self._load_held()

    def _load_held(self) -> None:
        row = self.store.bundle()
        if row is None:
            self._rebuild()
            return
        self.version, self.digest = row["version"], row["digest"]
        try:
            bundle = verify_bundle(bytes(row["envelope"]), self.keyring)
            self._bundle_rules = bundle.rules
            self.expired = False
        except EnvelopeError as exc:
            # An expired (or no longer trusted) bundle stops counting; builtin rules still heal.
            log.error("held rules bundle v%s no longer verifies (%s); using builtin rules only", self.version, exc)
            self._bundle_rules = []
            self.expired = True
        self._rebuild()

    def _rebuild(self) -> None:
        bundle_ids = {r.get("id") for r in self._bundle_rules}
        for rule in self.store.promoted_rules():
            if rule["id"] in bundle_ids:
                self.store.delete_promoted_rule(rule["id"])  # the bundle carries it now
        promoted = [r for r in self.store.promoted_rules() if r["id"] not in bundle_ids]
        # Bundle rules override builtin rules with the same id; promoted rules fill in until the next bundle.
        merged = [r for r in self.builtin.to_dicts() if r["id"] not in bundle_ids]
        merged += self._bundle_rules + promoted
        self.ruleset = load_rules(merged, runbook_ids=self.runbook_ids)

    def sync(self, central: CentralClient, advertised_digest: str | None, *, force: bool = False) -> SyncResult:
        """Fetch and install the served bundle when its digest changed; keep the old one on any failure."""
        if not force and (advertised_digest is None or advertised_digest == self.digest):
            return SyncResult(version=self.version)
        if not force and advertised_digest == self.store.get("bundle_refused_digest"):
            return SyncResult(version=self.version, refused=self.store.get("bundle_refused_reason"))
        fetched = central.fetch_bundle(self.digest)
        if fetched is None:
            return SyncResult(version=self.version)
        envelope, etag = fetched
        digest = envelope_digest(envelope)
        if etag and etag != digest:
            raise CentralProtocolError(f"bundle bytes hash to {digest[:12]}, ETag says {etag[:12]}")
        if digest == self.digest:
            return SyncResult(version=self.version)
        try:
            bundle = verify_bundle(envelope, self.keyring, min_version=self.version + 1 if self.version else None)
            load_rules(bundle.rules, runbook_ids=self.runbook_ids)
        except (EnvelopeError, RuleSetError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            with self.store.transaction():
                self.store.put("bundle_refused_digest", digest)
                self.store.put("bundle_refused_reason", reason[:1000])
            log.error("rules bundle %s refused, keeping v%s: %s", digest[:12], self.version, reason)
            return SyncResult(version=self.version, refused=reason)
        self.store.save_bundle(bundle.version, digest, envelope, bundle.expires_at.isoformat())
        self.version, self.digest, self.expired = bundle.version, digest, False
        self._bundle_rules = bundle.rules
        self._rebuild()
        log.info("rules bundle v%d installed (%d rules)", bundle.version, len(bundle.rules))
        return SyncResult(changed=True, version=bundle.version)

    def add_promoted(self, rule: dict[str, Any]) -> None:
        """Install one promoted rule (already validated by the order check)."""
        self.store.put_promoted_rule(json.loads(json.dumps(rule)))
        self._rebuild()

    def check_expiry(self) -> None:
        """Drop the held bundle's rules once it expires (checked every cycle)."""
        row = self.store.bundle()
        if row is not None and not self.expired and datetime.fromisoformat(row["expires_at"]) <= utcnow():
            self._load_held()
