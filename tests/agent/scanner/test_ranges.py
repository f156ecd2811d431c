"""Scan ranges: explicit, auto from interfaces, the cap, and the guard that refuses all else (nothing is scanned)."""

from __future__ import annotations

import ipaddress
import stat

import pytest

from agent.errors import ScanScopeError, SettingsError
from agent.scanner.nmap_scan import NmapScanner
from agent.scanner.ranges import Interface, ScopeGuard, auto_ranges, local_interfaces, parse_ranges

N = ipaddress.IPv4Network


def _if(name: str, addr: str, prefix: int) -> Interface:
    return Interface(name, ipaddress.IPv4Address(addr), prefix)


def test_parse_ranges_explicit_list_normalised_and_sorted():
    assert parse_ranges("192.168.1.0/24, 10.0.0.5 ,10.0.0.5/32") == [N("10.0.0.5/32"), N("192.168.1.0/24")]
    assert parse_ranges("192.168.1.77/24") == [N("192.168.1.0/24")]


@pytest.mark.parametrize("value, message", [
    ("10.0.0.0/16", "wider than the /22 cap"),
    ("8.8.8.0/24", "not private"),
    ("224.0.0.0/24", "not private"),
    ("printer.local", "not an IPv4"),
    ("-oX /tmp/x", "not an IPv4"),
    ("::1", "not an IPv4"),
    (" , ", "empty"),
])
def test_parse_ranges_unsafe_values_refused(value, message):
    with pytest.raises(SettingsError, match=message):
        parse_ranges(value)


def test_parse_ranges_cap_is_configurable():
    assert parse_ranges("10.0.0.0/16", max_prefix=16) == [N("10.0.0.0/16")]


def test_auto_ranges_from_interfaces_skip_loopback_virtual_and_link_local():
    interfaces = [
        _if("lo", "127.0.0.1", 8), _if("eth0", "192.168.50.17", 24), _if("docker0", "172.17.0.1", 16),
        _if("br-3f2a", "172.18.0.1", 16), _if("wlan0", "169.254.3.4", 16), _if("eth1", "192.168.50.99", 24),
        _if("wan0", "81.2.69.7", 24), _if("ppp0", "10.64.0.2", 32),
    ]
    assert auto_ranges(interfaces) == [N("192.168.50.0/24")]


def test_auto_ranges_wide_subnet_narrowed_to_cap_around_own_address():
    assert auto_ranges([_if("eth0", "10.20.130.9", 16)]) == [N("10.20.128.0/22")]
    assert auto_ranges([_if("eth0", "10.20.130.9", 16)], max_prefix=24) == [N("10.20.130.0/24")]


def test_parse_ranges_auto_uses_given_interfaces():
    assert parse_ranges("AUTO", interfaces=[_if("enp3s0", "192.168.7.2", 23)]) == [N("192.168.6.0/23")]


def test_local_interfaces_reads_loopback_address():
    found = local_interfaces()  # reads addresses only; nothing is contacted
    assert _if("lo", "127.0.0.1", 8) in found


def test_auto_ranges_on_this_machine_are_private_capped_and_not_loopback():
    for net in auto_ranges():  # computed only: tests never scan these
        assert net.is_private and not net.is_loopback and net.prefixlen >= 22


def test_guard_accepts_only_addresses_inside_ranges():
    guard = ScopeGuard([N("127.0.0.1/32")])
    assert guard.targets(["127.0.0.1", "127.0.0.1/32"]) == ["127.0.0.1", "127.0.0.1"]
    assert guard.targets() == ["127.0.0.1"]
    for bad in ("127.0.0.2", "127.0.0.0/24", "10.0.0.5", "192.0.2.2", "localhost", "-sL", "::1", "127.0.0.1 10.0.0.1"):
        with pytest.raises(ScanScopeError):
            guard.check(bad)
    assert guard.contains("127.0.0.1") and not guard.contains("10.0.0.5") and not guard.contains("junk")


def test_guard_with_no_ranges_refuses_everything():
    with pytest.raises(ScanScopeError, match="no network ranges"):
        ScopeGuard([]).targets()
    with pytest.raises(ScanScopeError, match="no scan targets"):
        ScopeGuard([N("127.0.0.1/32")]).targets([])


def test_scanner_refuses_out_of_range_target_without_running_nmap(tmp_path):
    marker = tmp_path / "nmap-was-run"
    fake = tmp_path / "nmap"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\necho 'Nmap version 7.93 ( https://nmap.org )'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    scanner = NmapScanner(ScopeGuard([N("127.0.0.1/32")]), nmap_path=str(fake))
    for target in (["10.0.0.5"], ["192.0.2.0/24"], ["127.0.0.1", "8.8.8.8"]):
        with pytest.raises(ScanScopeError):
            scanner.scan(target)
    assert not marker.exists()
