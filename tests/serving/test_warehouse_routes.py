"""The warehouse read API over marts the real pipelines published: CVEs, framework controls and site
compliance, with the same auth rules as the rest of the API (a partner sees only its own sites)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import materialize

from pipelines.definitions import assets_and_checks
from tests.pipelines.conftest import MINE, QUIET, make_resources, module_database
from tests.pipelines.seed import Fleet, generate, write
from tests.serving import factories
from tests.serving.conftest import Api, make_settings, start_api
from tests.serving.factories import bearer
from warehouse.duck import read_mart


def _build(pg_server_url: str, pg_template: str, shared_data: Path, folder: Path) -> Fleet:
    with module_database(pg_server_url, pg_template) as url:
        fleet = generate(sites=2, hosts=4, days=5)
        asyncio.run(write(url, fleet))
        materialize(assets_and_checks(), resources=make_resources(url, folder, shared_data), selection=MINE,
                    run_config=QUIET)
    return fleet


@pytest.fixture(scope="module")
def published(pg_server_url: str, pg_template: str, shared_data: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Fleet, Path]]:
    """Marts built once by the real pipelines into a home folder the apps below serve from."""
    folder = tmp_path_factory.mktemp("served-home")
    out: list[Any] = []
    # Built on a helper thread: asyncio.run here would clear the loop pytest-asyncio's tests run on.
    worker = threading.Thread(target=lambda: out.append(_build(pg_server_url, pg_template, shared_data, folder)))
    worker.start()
    worker.join()
    assert out, "building the marts failed (see the thread's traceback above)"
    yield out[0], folder


@pytest.fixture
async def wapi(db_url: str, published: tuple[Fleet, Path]) -> AsyncIterator[tuple[Api, Fleet]]:
    """The app serving the published marts, with the fleet's sites in its database."""
    fleet, home = published
    async for handle in start_api(make_settings(db_url, home)):
        for n, site in enumerate(fleet.sites):
            await handle.pool.execute("INSERT INTO sites (id, name) VALUES ($1, $2)", uuid.UUID(site), f"Clinic {n}")
        yield handle, fleet


async def _get(api: Api, url: str, secret: str | None = None, **params: Any) -> Any:
    r = await api.client.get(url, params=params, headers=bearer(secret or api.admin))
    assert r.status_code == 200, r.text
    return r.json()


async def test_list_cves_admin_sees_every_site_worst_first(wapi, published):
    api, fleet = wapi
    body = await _get(api, "/api/cves", limit=1000)
    mart = read_mart("cve_exposure", published[1] / "marts")
    assert body["count"] == mart["cve_id"].n_unique() == len(body["data"])
    ranks = [("unknown", "low", "medium", "high", "critical").index(c["severity"]) for c in body["data"]]
    assert ranks == sorted(ranks, reverse=True)
    heartbleed = next(c for c in body["data"] if c["cve_id"] == "CVE-2014-0160")
    linux_hosts = {(s, h) for s, h in mart.filter(mart["cve_id"] == "CVE-2014-0160").select("site_id", "host").rows()}
    assert heartbleed["devices"] == heartbleed["exposed_devices"] == len(linux_hosts) and heartbleed["sites"] == 2
    assert heartbleed["severity"] == "critical" and body["as_of"] is not None


async def test_list_cves_filters_by_site_severity_and_exposure(wapi):
    api, fleet = wapi
    site = fleet.sites[0]
    exposed = await _get(api, "/api/cves", site_id=site, exposed="true", limit=1000)
    assert exposed["count"] > 0 and all(c["exposed_devices"] == c["devices"] for c in exposed["data"])
    assert all(c["sites"] == 1 for c in exposed["data"])
    critical = await _get(api, "/api/cves", severity=["critical"], limit=1000)
    assert {c["severity"] for c in critical["data"]} == {"critical"}
    both = await _get(api, "/api/cves", severity=["high", "critical"], limit=1000)
    assert both["count"] >= critical["count"]
    page = await _get(api, "/api/cves", limit=3, offset=2)
    assert len(page["data"]) == 3 and page["count"] == (await _get(api, "/api/cves"))["count"]


async def test_list_cves_partner_sees_only_its_sites(wapi):
    api, fleet = wapi
    own, other = fleet.sites
    partner = await factories.token(api.pool, "partner", [own])
    mine = await _get(api, "/api/cves", partner, limit=1000)
    assert all(c["sites"] == 1 for c in mine["data"])
    assert mine["count"] == (await _get(api, "/api/cves", site_id=own, limit=1000))["count"]
    r = await api.client.get("/api/cves", params={"site_id": other}, headers=bearer(partner))
    assert r.status_code == 403


@pytest.mark.parametrize(("params", "fragment"), [({"severity": "severe"}, "severity"),
                                                  ({"site_id": "not-a-uuid"}, "site_id"),
                                                  ({"limit": 0}, "limit")])
async def test_list_cves_bad_query_400(wapi, params, fragment):
    api, _ = wapi
    r = await api.client.get("/api/cves", params=params, headers=bearer(api.admin))
    assert r.status_code == 400 and fragment in r.text


async def test_get_cve_lists_affected_devices_and_exposure(wapi):
    api, fleet = wapi
    body = await _get(api, "/api/cves/CVE-2014-0160")
    assert body["cvss_score"] == 7.5 and body["attack_vector"] == "N" and body["severity"] == "critical"
    hosts = {(d["site_id"], d["host"]) for d in body["devices"]}
    assert {s for s, _ in hosts} == set(fleet.sites) and all(h.startswith("srv-") for _, h in hosts)
    assert all(d["exposed"] and d["exposed_ports"] == ["443/tcp https"] for d in body["devices"])


async def test_get_cve_partner_sees_only_own_devices(wapi):
    api, fleet = wapi
    partner = await factories.token(api.pool, "partner", [fleet.sites[1]])
    body = await _get(api, "/api/cves/CVE-2014-0160", partner)
    assert {d["site_id"] for d in body["devices"]} == {fleet.sites[1]}


async def test_get_cve_unknown_404_names_it_and_malformed_400(wapi):
    api, _ = wapi
    r = await api.client.get("/api/cves/CVE-1999-99999", headers=bearer(api.admin))
    assert r.status_code == 404 and "CVE-1999-99999" in r.json()["detail"]
    r = await api.client.get("/api/cves/heartbleed", headers=bearer(api.admin))
    assert r.status_code == 400


async def test_framework_800_53_lists_controls_with_evidence(wapi):
    api, _ = wapi
    active = await _get(api, "/api/frameworks/800-53/controls", limit=2000)
    assert active["count"] == 1007  # 1189 controls and enhancements, 182 of them withdrawn
    everything = await _get(api, "/api/frameworks/800-53/controls", include_withdrawn="true", limit=2000)
    assert everything["count"] == 1189
    low = await _get(api, "/api/frameworks/800-53/controls", baseline="low", limit=2000)
    assert low["count"] == 149
    sc28 = next(c for c in active["data"] if c["control_id"] == "sc-28")
    assert sc28["check_types"] == ["disk_encryption"] and sc28["devices"] > 0
    assert sc28["status"] == ("fail" if sc28["failed"] else "error" if sc28["errors"] else
                              "pass" if sc28["passed"] else "not_applicable")
    assert next(c for c in active["data"] if c["control_id"] == "pm-1")["status"] == "no_checks"


async def test_framework_hipaa_elements_and_site_filter(wapi):
    api, fleet = wapi
    body = await _get(api, "/api/frameworks/HIPAA/controls", limit=2000)
    assert body["count"] == 68
    encryption = next(c for c in body["data"] if c["control_id"] == "164.312(a)(2)(iv)")
    assert encryption["related"] == ["sc-13"] and "disk_encryption" in encryption["check_types"]
    one = await _get(api, "/api/frameworks/hipaa/controls", site_id=fleet.sites[0], limit=2000)
    mine = next(c for c in one["data"] if c["control_id"] == "164.312(a)(2)(iv)")
    assert 0 < mine["devices"] < encryption["devices"]


async def test_framework_unknown_404(wapi):
    api, _ = wapi
    r = await api.client.get("/api/frameworks/iso-27001/controls", headers=bearer(api.admin))
    assert r.status_code == 404 and "iso-27001" in r.json()["detail"]


async def test_site_compliance_matches_the_marts(wapi, published):
    api, fleet = wapi
    site = fleet.sites[0]
    body = await _get(api, f"/api/sites/{site}/compliance", days=3)
    devices = read_mart("device_compliance", published[1] / "marts")
    mine = devices.filter(devices["site_id"] == site)
    assert body["devices"] == mine.height
    assert body["compliant_devices"] == mine["compliant"].sum()
    passed, failed = mine["passed"].sum(), mine["failed"].sum()
    assert body["compliance_rate"] == pytest.approx(passed / (passed + failed))
    assert len(body["daily"]) == 3 and body["daily"] == sorted(body["daily"], key=lambda d: d["day"])
    assert {c["check_type"] for c in body["checks"]} >= {"firewall_status", "disk_encryption"}
    elements = {h["hipaa_element"]: h for h in body["hipaa"]}
    assert elements["164.312(a)(2)(iv)"]["controls"] == ["sc-13"]
    assert body["cves"]["exposed"] > 0 and body["cves"]["affected_devices"] == 4


async def test_site_compliance_other_partner_403_and_unknown_site_404(wapi):
    api, fleet = wapi
    partner = await factories.token(api.pool, "partner", [fleet.sites[1]])
    r = await api.client.get(f"/api/sites/{fleet.sites[0]}/compliance", headers=bearer(partner))
    assert r.status_code == 403
    missing = str(uuid.uuid4())
    r = await api.client.get(f"/api/sites/{missing}/compliance", headers=bearer(api.admin))
    assert r.status_code == 404 and missing in r.json()["detail"]


async def test_read_routes_before_any_publish_answer_empty(api):
    site = await factories.site(api.client, api.admin)
    assert (await _get(api, "/api/cves")) == {"data": [], "count": 0, "as_of": None}
    assert (await _get(api, "/api/frameworks/800-53/controls"))["count"] == 0
    body = await _get(api, f"/api/sites/{site}/compliance")
    assert body["devices"] == 0 and body["compliance_rate"] is None and body["hipaa"] == []
