"""nmap's XML report: real and hand-written vectors read right; broken reports are typed errors."""

from __future__ import annotations

import pytest

from agent.errors import ScanError
from agent.scanner.models import HostScan
from agent.scanner.nmap_xml import parse_nmap_xml


def test_nmap_xml_real_loopback_report_services_and_tls_tunnel(vector):
    (host,) = parse_nmap_xml(vector("loopback_services_sV.xml"))
    by_port = {p.port: p for p in host.ports}
    assert host.ip == "127.0.0.1" and len(by_port) == 6  # the closed TCP port and closed UDP 69 are left out
    assert {p.service for p in host.ports} == {"ftp", "vnc", "http", "mysql", "telnet"}
    assert by_port[40735].tunnel == "ssl" and by_port[40735].label == "ssl/http"
    assert by_port[44635].tunnel == "" and by_port[44635].label == "http"
    assert by_port[33757].product == "ProFTPD" and by_port[33757].version == "1.3.5"
    assert by_port[44635].scripts == {"http-server-header": "BaseHTTP/0.6 Python/3.11.7"}


def test_nmap_xml_mac_vendor_hostname_host_scripts_and_skipped_hosts(vector):
    (host,) = parse_nmap_xml(vector("lan_smb1_mac_down_and_ipv6_hosts.xml"))  # down and IPv6-only skipped
    assert (host.ip, host.mac, host.vendor, host.hostname) == (
        "192.168.10.21", "3c:52:82:0a:11:22", "Hewlett Packard", "FRONTDESK-PC.clinic.local")
    assert [p.port for p in host.ports] == [80, 445, 3389]  # the filtered 8080 is not open
    assert "NT LM 0.12 (SMBv1)" in host.host_scripts["smb-protocols"]


def test_host_scan_round_trips_through_json_dict(vector):
    (host,) = parse_nmap_xml(vector("loopback_services_sV.xml"))
    assert HostScan.from_dict(host.to_dict()) == host


@pytest.mark.parametrize("payload, message", [
    (b"", "not XML"),
    (b"Starting Nmap 7.93\nFailed to resolve", "not XML"),
    (b"<html><body>nope</body></html>", "not an nmap report"),
    (b"<nmaprun><host><status state='up'/><address addr='127.0.0.1' addrtype='ipv4'/></host></nmaprun>", "incomplete"),
    (b"<nmaprun><host><status state='up'/><address addr='127.0.0.1' addrtype='ipv4'/><ports><port protocol='tcp' "
     b"portid='http'><state state='open'/></port></ports></host><runstats><finished/></runstats></nmaprun>",
     "not a number"),
    (b"<nmaprun><host><status state='up'/><address addr='127.0.0.1' addrtype='ipv4'/><ports><port protocol='tcp' "
     b"portid='70000'><state state='open'/></port></ports></host><runstats><finished/></runstats></nmaprun>",
     "impossible port"),
])
def test_nmap_xml_broken_reports_raise_scan_error(payload, message):
    with pytest.raises(ScanError, match=message):
        parse_nmap_xml(payload)


def test_nmap_xml_truncated_real_report_raises_scan_error(vector):
    data = vector("loopback_services_sV.xml")
    with pytest.raises(ScanError):
        parse_nmap_xml(data[: len(data) // 2])
