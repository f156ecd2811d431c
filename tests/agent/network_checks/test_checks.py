"""The seven HIPAA network checks on literal scan results, and their citations against the real rule text."""

from __future__ import annotations

import re

import pytest

from agent.network_checks import CHECKS_BY_TYPE, NETWORK_CHECKS, PLATFORM, scan_checks
from agent.network_checks.checks import (
    CleartextRemoteAccess,
    DatabaseExposed,
    RdpExposed,
    SmbExposure,
    UnauthenticatedConsole,
    UnencryptedWebEphi,
    UnknownDevice,
)
from agent.scanner.inventory import Inventory, InventoryDevice
from agent.scanner.models import HostScan, PortFinding
from contracts.incidents import CheckStatus, Incident
from contracts.runbooks import _CITATION

P = PortFinding
PASS, FAIL, NA = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.NOT_APPLICABLE


def host(*ports: PortFinding, **kw) -> HostScan:
    return HostScan(ip=kw.pop("ip", "192.168.1.20"), ports=tuple(ports), **kw)


def dev(**kw) -> InventoryDevice:
    kw.setdefault("name", "reception-pc")
    kw["allowed_services"] = frozenset(kw.get("allowed_services", ()))
    return InventoryDevice(**kw)


@pytest.mark.parametrize("ports, expected", [
    ((P(23, service="telnet"),), ["telnet"]),
    ((P(40123, service="telnet"),), ["telnet"]),  # -sV named it on a high port
    ((P(513),), ["rlogin"]),  # no -sV: the well-known port decides
    ((P(514, service="shell"), P(512, service="exec")), ["rexec", "rsh"]),
    ((P(21, service="ftp"), P(69, proto="udp", service="tftp")), ["ftp", "tftp"]),
    ((P(990, service="ftp", tunnel="ssl"),), []),  # FTPS is encrypted
    ((P(22, service="ssh"), P(23, service="ssh")), []),  # a name from -sV beats the port number
])
def test_cleartext_remote_access(ports, expected):
    status, details = CleartextRemoteAccess().evaluate(host(*ports), None, None)
    assert status is (FAIL if expected else PASS) and details.get("protocols", []) == expected


def test_unencrypted_web_fails_on_plain_http_when_ephi_unknown_or_true():
    plain = host(P(80, service="http", product="Apache httpd"), P(443, service="http", tunnel="ssl"))
    status, details = UnencryptedWebEphi().evaluate(plain, None, None)
    assert status is FAIL and [s["port"] for s in details["services"]] == [80]
    assert details["ephi"].startswith("assumed")
    assert UnencryptedWebEphi().evaluate(plain, dev(serves_ephi=True), None)[1]["ephi"] == "inventory"


def test_unencrypted_web_not_applicable_when_inventory_says_no_ephi():
    status, details = UnencryptedWebEphi().evaluate(host(P(80, service="http")), dev(serves_ephi=False), None)
    assert status is NA and details["device"] == "reception-pc"


@pytest.mark.parametrize("ports", [
    (P(443, service="http", tunnel="ssl"),), (P(443),), (P(8443, service="https-alt"),), (P(22, service="ssh"),), (),
])
def test_unencrypted_web_passes_with_tls_or_no_web(ports):
    assert UnencryptedWebEphi().evaluate(host(*ports), None, None)[0] is PASS


def test_smb_v1_fails_even_when_smb_allowed():
    smb1 = host(P(445, service="microsoft-ds"), host_scripts={"smb-protocols": "dialects:\n  NT LM 0.12 (SMBv1)"})
    status, details = SmbExposure().evaluate(smb1, dev(allowed_services={"smb"}), None)
    assert status is FAIL and details["smbv1"] is True


def test_smb_exposure_depends_on_inventory():
    smb2 = host(P(445, service="microsoft-ds"), host_scripts={"smb-protocols": "dialects:\n  2:1:0\n  3:1:1"})
    assert SmbExposure().evaluate(smb2, dev(allowed_services={"smb"}), None)[0] is PASS
    status, details = SmbExposure().evaluate(smb2, None, None)
    assert status is FAIL and details["smbv1"] is False and "not in the inventory" in details["reason"]
    status, details = SmbExposure().evaluate(host(P(139)), dev(), None)
    assert status is FAIL and details["smbv1"] == "unknown" and details["device"] == "reception-pc"
    assert SmbExposure().evaluate(host(P(80)), None, None)[0] is PASS


def test_rdp_exposed_unless_allowed():
    rdp = host(P(3389, service="ms-wbt-server"))
    assert RdpExposed().evaluate(rdp, None, None)[0] is FAIL
    assert RdpExposed().evaluate(rdp, dev(allowed_services={"rdp"}), None) == (
        PASS, {"services": [{"port": 3389, "proto": "tcp", "service": "ms-wbt-server"}],
               "allowed_by_inventory": True, "device": "reception-pc"})
    assert RdpExposed().evaluate(host(P(3390, service="ssh")), None, None)[0] is PASS


@pytest.mark.parametrize("port", [
    P(1433, service="ms-sql-s"), P(3306), P(5432, service="postgresql"), P(27017, service="mongodb"),
    P(6379, service="redis"), P(9200, service="http", product="Elasticsearch REST API"), P(41000, service="mysql"),
])
def test_database_ports_exposed(port):
    assert DatabaseExposed().evaluate(host(port), None, None)[0] is FAIL
    assert DatabaseExposed().evaluate(host(port), dev(allowed_services={"database"}), None)[0] is PASS


@pytest.mark.parametrize("port", [
    P(5900, service="vnc"), P(5901), P(6000, service="X11"), P(2375, service="docker"), P(5800, service="vnc-http"),
])
def test_unauthenticated_consoles(port):
    assert UnauthenticatedConsole().evaluate(host(port), None, None)[0] is FAIL


def test_console_vnc_security_types_reported():
    vnc = P(5900, service="vnc", scripts={"vnc-info": "\n  Protocol version: 3.8\n  Security types: \n    None (1)"})
    status, details = UnauthenticatedConsole().evaluate(host(vnc), None, None)
    assert status is FAIL and "None (1)" in details["services"][0]["security_types"]
    assert UnauthenticatedConsole().evaluate(host(P(22, service="ssh")), None, None)[0] is PASS


def test_unknown_device_three_states():
    inventory = Inventory([dev(mac="3c:52:82:0a:11:22")])
    listed = host(mac="3C:52:82:0A:11:22")
    assert UnknownDevice().evaluate(listed, inventory.match(listed), inventory) == (PASS, {"device": "reception-pc"})
    stranger = host(mac="aa:bb:cc:dd:ee:ff", vendor="Raspberry Pi Trading")
    status, details = UnknownDevice().evaluate(stranger, None, inventory)
    assert status is FAIL and details["vendor"] == "Raspberry Pi Trading"
    assert UnknownDevice().evaluate(stranger, None, None)[0] is NA


def test_scan_checks_one_result_per_check_per_host():
    hosts = [host(P(23, service="telnet"), ip="192.168.1.20"), host(ip="192.168.1.21", hostname="printer")]
    results = scan_checks(hosts, Inventory([dev(ip="192.168.1.21", name="printer")]), site_id="s1", appliance_id="a1")
    assert len(results) == 2 * len(NETWORK_CHECKS) == 14
    assert {r.platform for r in results} == {PLATFORM} and {r.site_id for r in results} == {"s1"}
    first = {r.check_type: r.status for r in results if r.host == "192.168.1.20"}
    assert first["net_cleartext_remote_access"] is FAIL and first["net_unknown_device"] is FAIL
    second = {r.check_type: r.status for r in results if r.host == "192.168.1.21"}
    assert set(second.values()) == {PASS} and results[-1].details["hostname"] == "printer"


def test_network_incidents_share_a_signature_across_hosts_and_sites():
    a = scan_checks([host(P(3389), ip="10.0.0.5")], Inventory([dev(ip="10.0.0.5", name="dr-smith-pc")]), site_id="s1")
    b = scan_checks([host(P(3389), ip="10.9.9.9")], Inventory([dev(ip="10.9.9.9", name="front-desk")]), site_id="s2")
    rdp_a, rdp_b = (next(r for r in rs if r.check_type == "net_rdp_exposed") for rs in (a, b))
    sig = [Incident(site_id=r.site_id, host=r.host, check_type=r.check_type, platform=r.platform,
                    details=r.details).pattern_signature for r in (rdp_a, rdp_b)]
    assert sig[0] == sig[1]
    other = next(r for r in a if r.check_type == "net_unknown_device")
    assert Incident(site_id="s1", host="h", check_type=other.check_type, platform=PLATFORM,
                    details={"reason": "x"}).pattern_signature != sig[0]


def test_check_types_unique_and_citations_well_formed():
    assert len({c.check_type for c in NETWORK_CHECKS}) == len(CHECKS_BY_TYPE) == 7
    for check in NETWORK_CHECKS:
        assert check.check_type.startswith("net_") and check.hipaa_controls and check.__doc__
        assert all(re.match(_CITATION, c) for c in check.hipaa_controls), check.check_type


def _paragraphs(text: str) -> set[str]:
    """Every paragraph citation (164.312(e)(2)(ii), ...) the verbatim Subpart C text defines."""
    found: set[str] = set()
    section, path = "", []
    label = re.compile(r"\(([a-z]+|\d+|[A-Z])\)")
    for line in text.splitlines():
        if m := re.match(r"§ (164\.3\d\d) ", line):
            section, path = m.group(1), []
            continue
        pos = 0
        while m := label.match(line, pos):
            tok = m.group(1)
            roman = bool(re.fullmatch(r"[ivx]+", tok)) and len(path) >= 2
            level = 1 if tok.isdigit() else 3 if tok.isupper() else 2 if roman else 0
            path = [*path[:level], f"({tok})"]
            found.add(section + "".join(path))
            pos = m.end()
    return found


def test_citations_exist_in_the_hipaa_security_rule(shared_data):
    known = _paragraphs((shared_data / "hipaa" / "45cfr164-subpartC_verbatim.txt").read_text(encoding="utf-8"))
    assert "164.312(e)(2)(ii)" in known and "164.308(a)(1)(ii)(B)" in known  # the reader works
    for check in NETWORK_CHECKS:
        missing = [c for c in check.hipaa_controls if c not in known]
        assert missing == [], f"{check.check_type} cites paragraphs not in 45 CFR 164 Subpart C: {missing}"
