"""Signed orders: verify every one, run the accepted ones, report every outcome (refusals too).

An order runs only after `contracts.orders.verify_order` accepted it: trusted signature over the
exact bytes, addressed to this appliance or the fleet, not expired, a nonce never seen, params inside
the type's allowlist. Its nonce is stored *before* it runs, so a crash mid-order can never replay
it. Each outcome goes into the outbox (ORDER_RESULT) and to `/api/orders/{id}/acknowledge|complete`;
completions Central Command did not take are retried at the next cycle.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from agent.errors import CentralError, CentralRejectedError
from agent.order_handlers import HANDLERS
from contracts.api import OrderAck
from contracts.errors import EnvelopeError
from contracts.orders import OrderPolicy, verify_order
from contracts.telemetry import EventKind, OrderResult, event

if TYPE_CHECKING:
    from agent.agent import Agent

log = logging.getLogger(__name__)
_NONCE_GRACE = timedelta(minutes=10)
"""Nonces are kept a little past expiry: an expired order is refused anyway, whatever its nonce."""
MAX_DETAIL = 4000


@dataclass(frozen=True)
class OrderOutcome:
    """How one order ended on the appliance."""

    order_id: str
    type: str
    status: str  # completed | failed | refused | unsupported
    detail: str


def _peek(envelope: Any) -> tuple[str, str]:
    """The (unverified) order id and type, only to say which order was refused."""
    try:
        env = json.loads(envelope) if isinstance(envelope, str | bytes) else envelope
        payload = json.loads(base64.b64decode(env["payload"], validate=True))
        return str(payload.get("order_id", "unknown"))[:64], str(payload.get("type", "unknown"))[:64]
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error):
        return "unknown", "unknown"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


class OrderProcessor:
    """Verifies, runs and reports the orders one check-in delivered."""

    def __init__(self, agent: Agent):
        self.agent = agent

    def process(self, envelopes: list[Any]) -> list[OrderOutcome]:
        """Handle every delivered order; never raises for a bad order."""
        self.retry_completions()
        return [self._one(envelope) for envelope in envelopes]

    def _one(self, envelope: Any) -> OrderOutcome:
        agent = self.agent
        try:
            order = verify_order(
                envelope,
                agent.keyring,
                appliance_id=agent.appliance_id or "",
                nonce_seen=agent.store.nonce_seen,
                policy=OrderPolicy(update_domains=tuple(agent.settings.update_domains)),
            )
        except EnvelopeError as exc:
            order_id, order_type = _peek(envelope)
            outcome = OrderOutcome(order_id, order_type, "refused", f"{type(exc).__name__}: {exc}")
            log.warning("order %s (%s) refused: %s", order_id, order_type, outcome.detail)
            self._report(outcome, verified=False)
            return outcome
        agent.store.remember_nonce(order.nonce, order.order_id, (order.expires_at + _NONCE_GRACE).timestamp())
        self._post(order.order_id, "acknowledge", OrderAck(status="acknowledged"))
        handler = HANDLERS.get(order.type)
        try:
            if handler is None:
                status, detail = "unsupported", f"order type {order.type} has no handler on this appliance"
            else:
                status, detail = handler(agent, order.params)
        except Exception as exc:  # noqa: BLE001 - a failing handler is a failed order, never a dead agent
            log.exception("order %s (%s) failed", order.order_id, order.type)
            status, detail = "failed", f"{type(exc).__name__}: {exc}"
        outcome = OrderOutcome(order.order_id, order.type, status, detail[-MAX_DETAIL:])
        agent.store.set_nonce_status(order.nonce, status)
        log.info("order %s (%s) %s: %s", order.order_id, order.type, status, outcome.detail[:200])
        self._report(outcome, verified=True)
        return outcome

    def _report(self, outcome: OrderOutcome, *, verified: bool) -> None:
        agent = self.agent
        if not _is_uuid(outcome.order_id):
            # Central Command files results under its order ids; a payload naming none is only logged.
            log.error("refused an order envelope that names no valid order id: %s", outcome.detail)
            return
        detail = outcome.detail if verified else f"[unverified order id] {outcome.detail}"
        result = OrderResult(site_id=agent.site_id, order_id=outcome.order_id, status=outcome.status, detail=detail)
        agent.outbox.add([event(EventKind.ORDER_RESULT, result)])
        if verified:
            ack = OrderAck(status=outcome.status, detail=outcome.detail)
            if not self._post(outcome.order_id, "complete", ack):
                pending = agent.store.get_json("pending_order_completions", [])
                pending.append({"order_id": outcome.order_id, "ack": ack.model_dump()})
                agent.store.put_json("pending_order_completions", pending[-500:])

    def _post(self, order_id: str, step: str, ack: OrderAck) -> bool:
        """Tell Central Command; False when it could not be told now (retry later)."""
        try:
            self.agent.central.order_status(order_id, step, ack)
            return True
        except CentralRejectedError as exc:
            # Central Command knows this order in another state (expired, already done): nothing to retry.
            log.warning("order %s %s not taken: %s", order_id, step, exc)
            return True
        except CentralError as exc:
            log.warning("order %s %s not delivered (%s); will retry", order_id, step, exc)
            return False

    def retry_completions(self) -> None:
        """Send order completions that could not be delivered earlier."""
        pending = self.agent.store.get_json("pending_order_completions", [])
        if not pending:
            return
        left = [p for p in pending if not self._post(p["order_id"], "complete", OrderAck(**p["ack"]))]
        self.agent.store.put_json("pending_order_completions", left)
