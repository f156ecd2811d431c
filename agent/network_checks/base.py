"""The shape of a network check: a class with its check type, HIPAA citations and one `evaluate`."""

from __future__ import annotations

from typing import Any, ClassVar

from agent.scanner.inventory import Inventory, InventoryDevice
from agent.scanner.models import HostScan
from contracts.incidents import CheckStatus

Verdict = tuple[CheckStatus, dict[str, Any]]


class NetworkCheck:
    """One HIPAA network check, judged from a host's scan and its inventory entry."""

    check_type: ClassVar[str]
    title: ClassVar[str]
    hipaa_controls: ClassVar[tuple[str, ...]]
    severity: ClassVar[str] = "high"

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """(pass | fail | not_applicable, details) for one scanned host."""
        raise NotImplementedError


def exposure(found: list[dict[str, Any]], device: InventoryDevice | None, allow_key: str, what: str) -> Verdict:
    """Fail when a service is open that the device's inventory entry does not allow; pass otherwise."""
    if not found:
        return CheckStatus.PASS, {}
    # Device names go under "device", which the pattern signature leaves out: reasons stay categorical.
    if device is not None and device.allows(allow_key):
        return CheckStatus.PASS, {"services": found, "allowed_by_inventory": True, "device": device.name}
    if device is None:
        return CheckStatus.FAIL, {"services": found, "reason": f"{what} reachable on a device not in the inventory"}
    return CheckStatus.FAIL, {"services": found, "reason": f"{what} reachable; the inventory does not allow it",
                              "device": device.name}
