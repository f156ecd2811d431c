"""Rules bundles: publishing versions, `GET /api/agent/sync` with ETag / If-None-Match, and check-in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, envelope_digest, load_verify_key
from serving.services import bundles
from tests.serving import factories
from tests.serving.factories import bearer

RULES = [{"id": "L1-FIREWALL-001", "priority": 100, "conditions": [
    {"field": "check_type", "operator": "eq", "value": "firewall_status"}],
    "action": "execute_runbook", "runbook_id": "RB-WIN-FIREWALL-001"}]
CHECKIN = {"hostname": "nuc-1", "agent_version": "0.1.0", "bundle_version": 0}


async def test_sync_before_any_bundle_404(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.get("/api/agent/sync", headers=appliance.headers)
    assert r.status_code == 404


async def test_sync_serves_verifiable_bundle_with_digest_etag_and_304(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post("/api/bundles", json={"rules": RULES}, headers=bearer(api.admin))
    assert r.status_code == 201
    published = r.json()
    r = await api.client.get("/api/agent/sync", headers=appliance.headers)
    assert r.status_code == 200
    assert r.headers["etag"] == f'"{published["digest"]}"' == f'"{envelope_digest(r.content)}"'
    keyring = Keyring.of(load_verify_key(appliance.provisioned["signing_public_key"]))
    bundle = verify_bundle(r.content, keyring)
    assert (bundle.version, bundle.rules) == (1, RULES)
    for tag in (r.headers["etag"], f'W/{r.headers["etag"]}', f'"other", {r.headers["etag"]}', "*"):
        again = await api.client.get("/api/agent/sync", headers={**appliance.headers, "If-None-Match": tag})
        assert (again.status_code, again.content) == (304, b""), tag
        assert again.headers["etag"] == r.headers["etag"]
    stale = await api.client.get("/api/agent/sync", headers={**appliance.headers, "If-None-Match": '"0000"'})
    assert stale.status_code == 200


async def test_new_version_changes_etag_and_checkin_reports_it(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    v1 = await bundles.publish_bundle(api.pool, RULES, api.app.state.signing_key)
    old = (await api.client.get("/api/agent/sync", headers=appliance.headers)).headers["etag"]
    v2 = await bundles.publish_bundle(api.pool, RULES[:0], api.app.state.signing_key, expires_in=timedelta(days=1))
    assert (v1, v2) == (1, 2)
    r = await api.client.get("/api/agent/sync", headers={**appliance.headers, "If-None-Match": old})
    assert r.status_code == 200 and r.headers["x-bundle-version"] == "2"
    checkin = (await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)).json()
    assert (checkin["bundle_version"], f'"{checkin["bundle_digest"]}"') == (2, r.headers["etag"])


async def test_concurrent_publishers_get_distinct_increasing_versions(api):
    versions = await asyncio.gather(*(bundles.publish_bundle(api.pool, RULES, api.app.state.signing_key)
                                      for _ in range(5)))
    assert sorted(versions) == [1, 2, 3, 4, 5]
    listed = (await api.client.get("/api/bundles", headers=bearer(api.admin))).json()
    assert [b["version"] for b in listed] == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("rules", [[{"id": "x"}], [{"id": "x", "conditions": [], "action": "explode"}],
                                   [{**RULES[0], "conditions": [{"field": "a", "operator": "regex", "value": "("}]}]])
async def test_publish_invalid_rules_400(api, rules):
    r = await api.client.post("/api/bundles", json={"rules": rules}, headers=bearer(api.admin))
    assert r.status_code == 400
    assert await api.pool.fetchval("SELECT count(*) FROM rule_bundles") == 0


async def test_checkin_records_appliance_state(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    body = {**CHECKIN, "agent_version": "0.3.1", "platform": "nixos", "bundle_version": 7}
    r = await api.client.post("/api/appliances/checkin", json=body, headers=appliance.headers)
    assert r.status_code == 200
    assert (r.json()["appliance_id"], r.json()["site_id"]) == (appliance.appliance_id, sid)
    (row,) = (await api.client.get(f"/api/sites/{sid}/appliances", headers=bearer(api.admin))).json()
    assert (row["agent_version"], row["platform"], row["bundle_version"], row["hostname"]) == (
        "0.3.1", "nixos", 7, "nuc-1")
    assert row["last_checkin_at"] is not None


@pytest.mark.parametrize("body", [{}, {"hostname": "x"}, {**CHECKIN, "bundle_version": -1}, {**CHECKIN, "extra": 1}])
async def test_checkin_bad_body_400(api, body):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post("/api/appliances/checkin", json=body, headers=appliance.headers)
    assert r.status_code == 400
