"""The seven HIPAA network checks, each with the 45 CFR 164 paragraphs it evidences."""

from __future__ import annotations

import re

from agent.network_checks import services
from agent.network_checks.base import NetworkCheck, Verdict, exposure
from agent.scanner.inventory import Inventory, InventoryDevice
from agent.scanner.models import HostScan
from contracts.incidents import CheckStatus

_SMB1 = re.compile(r"NT LM 0\.12|SMBv1", re.IGNORECASE)


class CleartextRemoteAccess(NetworkCheck):
    """Telnet, rlogin, rsh, rexec, FTP or TFTP: passwords and data cross the network in clear."""

    check_type = "net_cleartext_remote_access"
    title = "Cleartext remote access (telnet, rlogin, FTP, TFTP)"
    hipaa_controls = ("164.312(e)(1)", "164.312(e)(2)(ii)", "164.312(d)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Fail on any cleartext remote-access service; no inventory entry can allow one."""
        found = [{**p.brief(), "protocol": kind} for p in host.ports if (kind := services.cleartext_remote(p))]
        if not found:
            return CheckStatus.PASS, {}
        return CheckStatus.FAIL, {"services": found, "protocols": sorted({f["protocol"] for f in found})}


class UnencryptedWebEphi(NetworkCheck):
    """A web server without TLS on a device that serves ePHI (or might: unknown counts as yes)."""

    check_type = "net_unencrypted_web_ephi"
    title = "Unencrypted web on devices that serve ePHI"
    hipaa_controls = ("164.312(e)(1)", "164.312(e)(2)(ii)", "164.312(a)(2)(iv)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Not applicable only when the inventory says the device serves no ePHI."""
        if device is not None and device.serves_ephi is False:
            return CheckStatus.NOT_APPLICABLE, {"reason": "the inventory says it serves no ePHI", "device": device.name}
        # Unknown is judged as serving ePHI: on a medical office LAN that is the safe assumption.
        basis = "inventory" if device is not None and device.serves_ephi else "assumed (not marked in inventory)"
        plain = [p.brief() for p in host.ports if services.web(p) == "http"]
        if not plain:
            return CheckStatus.PASS, {}
        return CheckStatus.FAIL, {"services": plain, "ephi": basis}


class SmbExposure(NetworkCheck):
    """SMB reachable on a device not meant to share files, or SMBv1 anywhere."""

    check_type = "net_smb_exposure"
    title = "SMB exposed or SMBv1 enabled"
    hipaa_controls = ("164.312(e)(1)", "164.312(a)(1)", "164.308(a)(1)(ii)(B)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """SMBv1 always fails; otherwise SMB must be allowed by the device's inventory entry."""
        found = [p.brief() for p in host.ports if services.smb(p)]
        if not found:
            return CheckStatus.PASS, {}
        script = host.host_scripts.get("smb-protocols")
        smb1 = bool(_SMB1.search(script)) if script is not None else None
        if smb1:
            return CheckStatus.FAIL, {"services": found, "smbv1": True, "reason": "SMBv1 dialect offered"}
        status, details = exposure(found, device, "smb", "SMB")
        return status, {**details, "smbv1": smb1 if smb1 is not None else "unknown"}


class RdpExposed(NetworkCheck):
    """Remote Desktop reachable on a device whose inventory entry does not allow it."""

    check_type = "net_rdp_exposed"
    title = "RDP exposed"
    hipaa_controls = ("164.312(a)(1)", "164.312(d)", "164.312(e)(1)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Fail on RDP unless allowed."""
        return exposure([p.brief() for p in host.ports if services.rdp(p)], device, "rdp", "RDP")


class DatabaseExposed(NetworkCheck):
    """A database server port reachable on a device whose inventory entry does not allow it."""

    check_type = "net_database_exposed"
    title = "Database ports exposed"
    hipaa_controls = ("164.312(a)(1)", "164.312(e)(1)", "164.308(a)(4)(ii)(C)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Fail on database ports unless allowed."""
        return exposure([p.brief() for p in host.ports if services.database(p)], device, "database", "database")


class UnauthenticatedConsole(NetworkCheck):
    """VNC, X11 or the plain Docker API: consoles without per-user login."""

    check_type = "net_unauthenticated_console"
    title = "VNC and other unauthenticated consoles"
    hipaa_controls = ("164.312(a)(1)", "164.312(a)(2)(i)", "164.312(d)")

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Fail on a shared-password or no-password console unless allowed."""
        found = []
        for p in host.ports:
            if services.console(p):
                entry = p.brief()
                if "vnc-info" in p.scripts:
                    entry["security_types"] = p.scripts["vnc-info"].strip()[:200]
                found.append(entry)
        return exposure(found, device, "console", "remote console")


class UnknownDevice(NetworkCheck):
    """A device on the network that the inventory does not list."""

    check_type = "net_unknown_device"
    title = "Devices not in the inventory"
    hipaa_controls = ("164.310(d)(1)", "164.308(a)(1)(ii)(A)")
    severity = "medium"

    def evaluate(self, host: HostScan, device: InventoryDevice | None, inventory: Inventory | None) -> Verdict:
        """Not applicable with no inventory at all; fail for a host no entry matches."""
        if inventory is None:
            return CheckStatus.NOT_APPLICABLE, {"reason": "no device inventory configured"}
        if device is not None:
            return CheckStatus.PASS, {"device": device.name}
        seen = {k: v for k, v in (("mac", host.mac), ("vendor", host.vendor), ("hostname", host.hostname)) if v}
        return CheckStatus.FAIL, {"reason": "not in the device inventory", **seen}


NETWORK_CHECKS: tuple[NetworkCheck, ...] = (
    CleartextRemoteAccess(), UnencryptedWebEphi(), SmbExposure(), RdpExposed(), DatabaseExposed(),
    UnauthenticatedConsole(), UnknownDevice(),
)
"""Every network check, in report order."""
