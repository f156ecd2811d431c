"""HIPAA network checks over scan results: one CheckResult per device per check, three-state.

`scan_checks(scan_results, inventory, site_id=...)` is the entry point; a failed result becomes an
incident like any other drift (platform "network": there is no runbook to run, so the L1 rules
route these to people). Without an inventory the unknown-device check is not applicable and every
device counts as unlisted for the exposure checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.network_checks.checks import NETWORK_CHECKS
from agent.scanner.inventory import Inventory
from agent.scanner.models import HostScan
from contracts.incidents import CheckResult

PLATFORM = "network"
"""The `platform` of every network check result and incident."""
CHECKS_BY_TYPE = {c.check_type: c for c in NETWORK_CHECKS}
"""check_type -> the check (its `severity`, `hipaa_controls`, `title`), for building incidents."""


def scan_checks(
    scan_results: Iterable[HostScan], inventory: Inventory | None, *, site_id: str, appliance_id: str | None = None,
) -> list[CheckResult]:
    """Every network check on every scanned host, as CheckResults (pass / fail / not_applicable)."""
    out = []
    for host in scan_results:
        device = inventory.match(host) if inventory is not None else None
        for check in NETWORK_CHECKS:
            status, details = check.evaluate(host, device, inventory)
            out.append(CheckResult(
                site_id=site_id, appliance_id=appliance_id, host=host.ip, check_type=check.check_type,
                platform=PLATFORM, status=status,
                details={"ip": host.ip, **({"hostname": host.hostname} if host.hostname else {}), **details},
                hipaa_controls=list(check.hipaa_controls),
            ))
    return out


__all__ = ["CHECKS_BY_TYPE", "NETWORK_CHECKS", "PLATFORM", "scan_checks"]
