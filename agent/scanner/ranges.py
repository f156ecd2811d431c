"""Which addresses the scanner may touch: configured ranges or the appliance's own subnets, and the guard.

`NETWORK_RANGES=auto` takes the appliance's non-loopback, non-link-local private IPv4 subnets; one
wider than the cap (a /22, 1,024 addresses, by default) is narrowed to the capped block holding the
appliance's own address, so a flat /16 office network costs minutes rather than hours. Explicit
ranges wider than the cap, public ranges and anything that is not an address are refused.
`ScopeGuard` is checked before nmap is ever started.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from agent.errors import ScanScopeError, SettingsError

log = logging.getLogger(__name__)
DEFAULT_MAX_PREFIX = 22
"""No range wider than a /22 unless the settings raise the cap."""
VIRTUAL_INTERFACES = ("docker", "br-", "veth", "virbr", "cni", "flannel", "lxc", "vmnet", "tun", "tap", "wg",
                      "tailscale", "zt")
"""Interface name prefixes of container bridges and VPNs: not the office LAN."""

IPv4Network = ipaddress.IPv4Network


@dataclass(frozen=True)
class Interface:
    """One IPv4 address of a local interface."""

    name: str
    address: ipaddress.IPv4Address
    prefixlen: int


def _allowed(net: IPv4Network) -> bool:
    # Private LAN space and loopback only: an appliance must never scan someone else's network.
    return net.is_private and not (net.is_multicast or net.is_unspecified or net.is_reserved)


def parse_ranges(value: str, *, max_prefix: int = DEFAULT_MAX_PREFIX,
                 interfaces: Iterable[Interface] | None = None) -> list[IPv4Network]:
    """`auto` or comma-separated IPv4 addresses / CIDRs; raises SettingsError on anything unsafe."""
    value = value.strip()
    if value.lower() == "auto":
        return auto_ranges(interfaces, max_prefix=max_prefix)
    out: list[IPv4Network] = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            net = ipaddress.IPv4Network(part, strict=False)
        except ValueError:
            raise SettingsError(f"NETWORK_RANGES: {part!r} is not an IPv4 address or CIDR range") from None
        if net.prefixlen < max_prefix:
            raise SettingsError(f"NETWORK_RANGES: {net} is wider than the /{max_prefix} cap "
                                f"({net.num_addresses} addresses); split it or raise the cap")
        if not _allowed(net):
            raise SettingsError(f"NETWORK_RANGES: {net} is not private address space; refused")
        out.append(net)
    if not out:
        raise SettingsError("NETWORK_RANGES is empty: give CIDR ranges or 'auto'")
    return sorted(set(out))


def auto_ranges(interfaces: Iterable[Interface] | None = None, *,
                max_prefix: int = DEFAULT_MAX_PREFIX) -> list[IPv4Network]:
    """The appliance's own LAN subnets, each capped at /max_prefix around the appliance's address."""
    found: set[IPv4Network] = set()
    for iface in local_interfaces() if interfaces is None else interfaces:
        if iface.name.startswith(VIRTUAL_INTERFACES) or iface.address.is_loopback or iface.address.is_link_local:
            continue
        net = ipaddress.IPv4Interface(f"{iface.address}/{iface.prefixlen}").network
        if net.prefixlen < max_prefix:
            capped = ipaddress.IPv4Interface(f"{iface.address}/{max_prefix}").network
            log.warning("interface %s is on %s; scanning only %s (the /%d cap)", iface.name, net, capped, max_prefix)
            net = capped
        if net.prefixlen >= 31 or not _allowed(net):
            continue  # point-to-point links and public addresses are not an office LAN
        found.add(net)
    return sorted(found)


def local_interfaces() -> list[Interface]:
    """The primary IPv4 address and netmask of every up interface (Linux ioctls; empty elsewhere)."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl

    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            packed = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack("H", fcntl.ioctl(sock.fileno(), 0x8913, packed)[16:18])[0]  # SIOCGIFFLAGS
                if not flags & 0x1:  # IFF_UP
                    continue
                addr = fcntl.ioctl(sock.fileno(), 0x8915, packed)[20:24]  # SIOCGIFADDR
                mask = fcntl.ioctl(sock.fileno(), 0x891B, packed)[20:24]  # SIOCGIFNETMASK
            except OSError:
                continue  # no IPv4 address on this interface
            prefix = bin(int.from_bytes(mask, "big")).count("1")
            out.append(Interface(name, ipaddress.IPv4Address(addr), prefix))
    return out


class ScopeGuard:
    """Refuses every scan target that is not an IPv4 address or network inside the allowed ranges."""

    def __init__(self, ranges: Iterable[IPv4Network]):
        self.ranges = tuple(ranges)

    def check(self, target: str) -> str:
        """The target, normalised; raises ScanScopeError (nmap is never started for it)."""
        text = target.strip()
        try:
            net = ipaddress.IPv4Network(text, strict=True)
        except ValueError:
            # Host names could resolve anywhere and "-..." would be an nmap option: only addresses pass.
            raise ScanScopeError(f"scan target {target!r} is not an IPv4 address or network") from None
        if not any(net.subnet_of(r) for r in self.ranges):
            raise ScanScopeError(f"scan target {net} is outside the configured ranges "
                                 f"({', '.join(map(str, self.ranges)) or 'none'})")
        return str(net.network_address) if net.prefixlen == 32 else str(net)

    def targets(self, wanted: Iterable[str] | None = None) -> list[str]:
        """The checked targets, or every configured range when none are given; never empty."""
        if not self.ranges:
            raise ScanScopeError("no network ranges are configured: nothing may be scanned")
        wanted = list(wanted) if wanted is not None else [str(r) for r in self.ranges]
        if not wanted:
            raise ScanScopeError("no scan targets given")
        return [self.check(t) for t in wanted]

    def contains(self, address: str) -> bool:
        """True when a single address lies inside the ranges (used to drop stray results)."""
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        return any(ip in r for r in self.ranges)
