"""Read nmap's XML report into HostScan objects; anything malformed is a ScanError, never a traceback.

Our own reader rather than python-nmap's dictionary: that one drops the `tunnel="ssl"` attribute
(so HTTPS would read as plain HTTP) and raises AttributeError on a truncated report.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agent.errors import ScanError
from agent.scanner.models import HostScan, PortFinding


def parse_nmap_xml(xml: bytes | str) -> list[HostScan]:
    """Every host nmap reported up, with its open ports."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ScanError(f"nmap output is not XML: {exc}") from None
    if root.tag != "nmaprun":
        raise ScanError(f"nmap output is not an nmap report (root element <{root.tag}>)")
    if root.find("runstats/finished") is None:
        raise ScanError("nmap report is incomplete (no runstats): the scan was cut short")
    hosts = []
    for node in root.findall("host"):
        status = node.find("status")
        if status is not None and status.get("state") != "up":
            continue
        host = _host(node)
        if host is not None:
            hosts.append(host)
    return hosts


def _host(node: ET.Element) -> HostScan | None:
    ip = mac = vendor = ""
    for addr in node.findall("address"):
        if addr.get("addrtype") == "ipv4":
            ip = addr.get("addr", "")
        elif addr.get("addrtype") == "mac":
            mac, vendor = addr.get("addr", "").lower(), addr.get("vendor", "")
    if not ip:
        return None  # IPv6-only or malformed entry: the checks work on IPv4 hosts
    names = [h.get("name", "") for h in node.findall("hostnames/hostname")]
    os_match = node.find("os/osmatch")
    ports = tuple(p for p in (_port(n) for n in node.findall("ports/port")) if p is not None)
    scripts = {s.get("id", ""): s.get("output", "") for s in node.findall("hostscript/script")}
    return HostScan(ip=ip, hostname=next((n for n in names if n), ""), mac=mac, vendor=vendor,
                    os=os_match.get("name", "") if os_match is not None else "", ports=ports, host_scripts=scripts)


def _port(node: ET.Element) -> PortFinding | None:
    state = node.find("state")
    if state is None or state.get("state") != "open":
        return None
    try:
        number = int(node.get("portid", ""))
    except ValueError:
        raise ScanError(f"nmap report has a port that is not a number: {node.get('portid')!r}") from None
    if not 0 <= number <= 65535:
        raise ScanError(f"nmap report has an impossible port {number}")
    service = node.find("service")
    attrs = service.attrib if service is not None else {}
    return PortFinding(
        port=number, proto=node.get("protocol", "tcp"), service=attrs.get("name", ""),
        product=attrs.get("product", ""), version=attrs.get("version", ""), tunnel=attrs.get("tunnel", ""),
        extrainfo=attrs.get("extrainfo", ""),
        scripts={s.get("id", ""): s.get("output", "") for s in node.findall("script")},
    )
