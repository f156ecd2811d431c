"""A real nmap scan of listeners on 127.0.0.1 only, through run_network_scan into the agent's SQLite."""

from __future__ import annotations

import ipaddress

import pytest

from agent.errors import ScanError
from agent.scanner.models import HostScan
from agent.scanner.nmap_scan import NmapScanner
from agent.scanner.ranges import ScopeGuard
from agent.scanner.run import RUN_KEY, scan_due
from agent.scanner.settings import ScanSettings
from contracts.telemetry import DeviceScan, EventKind, TelemetryEvent


def test_scan_names_services_from_their_answers(loopback_report, listeners):
    report, _ = loopback_report
    (host,) = report.hosts
    found = {p.port: p.service for p in host.ports}
    assert found == {port: name for name, port in listeners.ports.items()}  # telnet, ftp, vnc, mysql, http
    assert listeners.closed_port not in found
    assert report.ranges == ["127.0.0.1/32"] and "-sV" in report.arguments and "-n" in report.arguments
    print(f"\nloopback -sV scan of {len(found) + 1} ports: {report.elapsed_s:.2f} s")


def test_scan_results_kept_in_agent_sqlite(loopback_report):
    report, store = loopback_report
    stored = store.latest_scan("127.0.0.1", "nmap")
    assert HostScan.from_dict(stored) == report.hosts[0]
    summary = store.latest_scan(RUN_KEY, "run")
    assert summary["hosts"] == 1 and summary["checks"] == 7 and summary["ranges"] == ["127.0.0.1/32"]
    settings = ScanSettings(network_ranges="127.0.0.1/32", scan_interval=3600)
    assert not scan_due(settings, store) and scan_due(settings, store, now=summary["finished_at"] + 3601)


def test_scan_checks_judge_the_real_listeners(loopback_report):
    report, _ = loopback_report
    status = {r.check_type: r.status.value for r in report.results}
    assert status == {
        "net_cleartext_remote_access": "fail", "net_unencrypted_web_ephi": "fail", "net_smb_exposure": "pass",
        "net_rdp_exposed": "pass", "net_database_exposed": "fail", "net_unauthenticated_console": "fail",
        "net_unknown_device": "not_applicable",
    }
    cleartext = next(r for r in report.results if r.check_type == "net_cleartext_remote_access")
    assert cleartext.details["protocols"] == ["ftp", "telnet"] and cleartext.platform == "network"


def test_scan_telemetry_events_validate_as_contract(loopback_report):
    report, _ = loopback_report
    kinds = [e.kind for e in report.events]
    assert kinds.count(EventKind.DEVICE_SCAN) == 1 and kinds.count(EventKind.CHECK_RESULT) == 7
    for e in report.events:
        TelemetryEvent.model_validate(e.model_dump(mode="json"))
    scan = DeviceScan.model_validate(report.events[0].payload)
    assert scan.ip == "127.0.0.1" and scan.in_inventory is False
    assert {p.service for p in scan.open_ports} == {"telnet", "ftp", "vnc", "mysql", "http"}


def test_scanner_missing_nmap_binary_raises_scan_error(tmp_path):
    guard = ScopeGuard([ipaddress.IPv4Network("127.0.0.1/32")])
    with pytest.raises(ScanError, match="nmap"):
        NmapScanner(guard, nmap_path=str(tmp_path / "no-nmap")).scan(["127.0.0.1"])


def test_scanner_port_scan_without_service_detection(listeners):
    guard = ScopeGuard([ipaddress.IPv4Network("127.0.0.1/32")])
    run = NmapScanner(guard, tcp_ports=listeners.port_list(), udp_ports="", service_detection=False,
                      resolve_names=False, scripts=()).scan(["127.0.0.1"])
    assert sorted(p.port for p in run.hosts[0].ports) == sorted(listeners.ports.values())
    assert run.elapsed_s < 10
