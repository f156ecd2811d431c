"""Sites and devices on the fixture marts: inventory roll-ups and one device's drill-down."""

from __future__ import annotations

from tests.analytics_app.apptest import charts, metric, table
from tests.analytics_app.fixtures import SITE_A, SITE_B

PAGE = "pages/sites_devices.py"


def test_sites_devices_fixture_marts_counts_devices(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert (metric(at, "Devices"), metric(at, "Checked"), metric(at, "Compliant"),
            metric(at, "Non-compliant")) == ("5", "4", "3", "1")
    sites = table(at, "devices_sites").set_index("site")
    assert sites.loc["Clinic A", "compliance_rate"] == 0.9  # 9 passed, 1 failed
    assert (sites.loc["Clinic B", "devices"], sites.loc["Clinic B", "checked"]) == (2, 1)
    assert len(charts(at)) == 1
    assert len(table(at, "devices_inventory")) == 5


def test_sites_devices_drill_down_shows_device_history(marts, open_page):
    at = open_page(PAGE)
    at.selectbox(key="device_pick").set_value(f"{SITE_A}|ws-01").run()
    assert not at.exception
    checks = table(at, "device_checks")
    assert list(checks["status"]) == ["fail", "pass", "pass", "pass"]
    assert checks["check_type"].iloc[0] == "firewall_status"
    assert sorted(table(at, "device_incidents")["incident_id"]) == ["inc-1", "inc-2", "inc-4"]
    assert list(table(at, "device_healing")["tier"]) == ["L2", "L1"]  # newest first
    assert list(table(at, "device_ports")["port"]) == [445, 3389]
    cves = table(at, "device_cves")
    assert list(cves["cve_id"]) == ["CVE-2019-0708", "CVE-2017-0144"]  # the exposed one first


def test_sites_devices_site_filter_limits_inventory(marts, open_page):
    at = open_page(PAGE, sites=[SITE_B])
    assert metric(at, "Devices") == "2"
    assert metric(at, "Non-compliant") == "0"
    assert at.selectbox(key="device_pick").options == ["printer-1 (Clinic B)", "ws-10 (Clinic B)"]
