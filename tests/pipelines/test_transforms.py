"""Pure logic of the pipelines, over literal rows: reconciliation, PHI findings, silent sites, the
sensor's change detection, open-port exposure, HIPAA citations and baseline rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from contracts.phi import contains_phi
from pipelines.feeds.transforms import baseline_rows, unknown_controls
from pipelines.ingest.schedules import new_rows
from pipelines.ingest.transforms import phi_findings, reconcile, silent_sites
from pipelines.marts.transforms import (
    citation_rows,
    device_id,
    match_devices,
    resolve_citation,
    serves,
    service_rows,
    split_device_id,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_reconcile_lists_missing_and_extra_seqs():
    assert reconcile([1, 2, 3, 5], [1, 3, 4, 5]) == {"missing": [2], "extra": [4]}
    assert reconcile([], []) == {"missing": [], "extra": []}


def test_phi_findings_names_ids_and_categories_never_text():
    rows = [
        {"decision_id": "d1", "site_id": "s", "reasoning": "Firewall profile is off; re-enable it."},
        {"decision_id": "d2", "site_id": "s", "reasoning": "Patient John Smith, DOB 01/02/1960, called."},
        {"decision_id": "d3", "site_id": "s", "reasoning": "Restart [HOST_1] at [IP_1]."},
        {"decision_id": "d4", "site_id": "s", "reasoning": None},
    ]
    found = phi_findings(rows, ("reasoning",), contains_phi)
    assert [f["decision_id"] for f in found] == ["d2"]
    assert {"person_name", "dob"} <= set(found[0]["categories"])
    assert "John" not in repr(found)


def test_silent_sites_lists_only_stale_sites_stalest_first():
    rows = [{"site_id": "a", "last_observed_at": NOW - timedelta(hours=1)},
            {"site_id": "b", "last_observed_at": NOW - timedelta(hours=30)},
            {"site_id": "c", "last_observed_at": NOW - timedelta(days=3)}]
    silent = silent_sites(rows, NOW, timedelta(hours=26))
    assert [s["site_id"] for s in silent] == ["c", "b"]
    assert silent[1]["hours_silent"] == 30.0


def test_new_rows_reports_tables_whose_seq_moved():
    assert new_rows({"incidents": 5, "check_results": 9}, {"incidents": 5, "check_results": 12,
                                                           "device_scans": 1}) == {"check_results": 3,
                                                                                   "device_scans": 1}
    assert new_rows({"incidents": 5}, {"incidents": 5}) == {}


@pytest.mark.parametrize(("cpe", "port", "expected"), [
    ("cpe:2.3:a:openbsd:openssh:7.2:p2:*:*:*:*:*:*", {"service": "ssh", "product": "OpenSSH"}, True),
    ("cpe:2.3:a:apache:http_server:2.4.7:*:*:*:*:*:*:*", {"service": "https", "product": "Apache httpd"}, True),
    ("cpe:2.3:a:apache:http_server:2.4.7:*:*:*:*:*:*:*", {"service": "http", "product": "nginx"}, False),
    ("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", {"service": "https", "product": "Apache httpd"}, True),
    ("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", {"service": "ssl/imap", "product": "Dovecot"}, True),
    ("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", {"service": "ssh", "product": "OpenSSH"}, False),
    ("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", {"service": "microsoft-ds", "product": ""}, True),
    ("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*", {"service": "ssh", "product": "OpenSSH"}, False),
    ("cpe:2.3:a:nginx:nginx:1.10.0:*:*:*:*:*:*:*", {"service": "http", "product": "nginx"}, True),
    ("cpe:2.3:a:mozilla:firefox:45.0:*:*:*:*:*:*:*", {"service": "http", "product": "Apache httpd"}, False),
    ("not a cpe", {"service": "http", "product": "nginx"}, False),
])
def test_serves_open_port_runs_the_named_software(cpe, port, expected):
    assert serves(cpe, port) is expected


def test_service_rows_keeps_only_serving_pairs():
    ports = [{"port": 22, "proto": "tcp", "service": "ssh", "product": "OpenSSH"},
             {"port": 443, "proto": "tcp", "service": "https", "product": "Apache httpd"},
             {"port": 22, "proto": "tcp", "service": "ssh", "product": "OpenSSH"}]
    rows = service_rows(["cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"], ports)
    assert [(r["port"], r["service"]) for r in rows] == [(443, "https")]


def test_device_id_round_trips_hosts_with_odd_characters():
    assert split_device_id(device_id("site-1", "ws/01:a")) == ("site-1", "ws/01:a")


def test_match_devices_follows_version_range_semantics():
    # Heartbleed's shape: 1.0.1 <= version < 1.0.1g, vulnerable.
    entries = [{"cve_id": "CVE-2014-0160", "config_index": 0, "config_operator": "OR", "config_negate": False,
                "node_index": 0, "operator": "OR", "negate": False, "vulnerable": True,
                "criteria": "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
                "version_start_including": "1.0.1", "version_start_excluding": None,
                "version_end_including": None, "version_end_excluding": "1.0.1g"}]
    inventory = pl.DataFrame([
        {"site_id": "s1", "host": "a", "cpe": "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"},
        {"site_id": "s1", "host": "b", "cpe": "cpe:2.3:a:openssl:openssl:1.0.1g:*:*:*:*:*:*:*"},
        {"site_id": "s2", "host": "a\x1fodd", "cpe": "cpe:2.3:a:openssl:openssl:1.0.1:*:*:*:*:*:*:*"},
        {"site_id": "s2", "host": "c", "cpe": "garbage"}])
    found = match_devices(inventory, entries).sort("site_id", "host").to_dicts()
    assert [(m["site_id"], m["host"]) for m in found] == [("s1", "a"), ("s2", "a\x1fodd")]
    assert {m["cve_id"] for m in found} == {"CVE-2014-0160"}


@pytest.mark.parametrize(("citation", "expected"), [
    ("164.312(a)(2)(iv)", "164.312(a)(2)(iv)"),
    ("164.312(a)(1)", "164.312(a)"),
    ("§ 164.310(d)(1)", "164.310(d)"),
    ("164.312(e)(1)", "164.312(e)(1)"),
    ("164.999(z)", None),
    ("", None),
])
def test_resolve_citation_nearest_crosswalk_element(citation, expected):
    elements = {"164.312(a)", "164.312(a)(2)(iv)", "164.310(d)", "164.312(e)(1)"}
    assert resolve_citation(citation, elements) == expected


def test_citation_rows_deduplicates_and_lists_unresolved():
    rows, unresolved = citation_rows([("screen_lock", "164.312(a)(2)(iii)"), ("screen_lock", "164.312(a)(1)"),
                                      ("firewall_status", "164.312(a)(1)"), ("x", "165.1")],
                                     {"164.312(a)", "164.312(a)(2)(iii)"})
    assert rows == [{"check_type": "firewall_status", "hipaa_element": "164.312(a)"},
                    {"check_type": "screen_lock", "hipaa_element": "164.312(a)"},
                    {"check_type": "screen_lock", "hipaa_element": "164.312(a)(2)(iii)"}]
    assert unresolved == ["165.1"]


def test_baseline_rows_and_unknown_controls():
    rows = baseline_rows({"LOW": ["ac-1", "ac-2"], "HIGH": ["ac-2.1"]})
    assert rows == [{"baseline": "LOW", "control_id": "ac-1"}, {"baseline": "LOW", "control_id": "ac-2"},
                    {"baseline": "HIGH", "control_id": "ac-2.1"}]
    assert unknown_controls(rows, {"ac-1", "ac-2"}) == [{"baseline": "HIGH", "control_id": "ac-2.1"}]
