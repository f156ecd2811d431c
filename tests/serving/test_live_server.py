"""The main flows against a real `osiris serve` process over a 127.0.0.1 socket, with a token from
`osiris tokens create`: what an appliance and an operator actually see."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import httpx
import nacl.public
import pytest

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, load_verify_key
from contracts.orders import verify_order
from contracts.telemetry import EventKind, event
from tests.serving import factories
from tests.serving.factories import bearer

pytestmark = pytest.mark.e2e


def _cli(live, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=live.env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def admin(live_server) -> str:
    out = _cli(live_server, "tokens", "create", "--role", "admin")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("ost_")
    return token


def test_readyz_and_metrics_over_socket(live_server):
    assert httpx.get(live_server.base_url + "/readyz").json() == {"status": "ready"}
    assert "osiris_http_requests_total" in httpx.get(live_server.base_url + "/metrics").text


def test_appliance_main_flow_over_socket(live_server, admin):
    with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
        site = c.post("/api/sites", json={"name": "Live Clinic"}, headers=bearer(admin)).json()["id"]
        box = nacl.public.PrivateKey.generate()
        prov = c.post(f"/api/sites/{site}/appliances", headers=bearer(admin),
                      json={"box_public_key": base64.b64encode(bytes(box.public_key)).decode()}).json()
        key = prov["api_key"]
        keyring = Keyring.of(load_verify_key(prov["signing_public_key"]))
        assert c.post(f"/api/sites/{site}/credentials", headers=bearer(admin),
                      json={"host": "pc-1", "username": "admin", "password": "s3cret"}).status_code == 201
        order = c.post("/api/orders", headers=bearer(admin),
                       json={"appliance_id": prov["appliance_id"], "type": "run_drift", "params": {}}).json()
        bundle = c.post("/api/bundles", headers=bearer(admin), json={"rules": []}).json()

        checkin = c.post("/api/appliances/checkin", headers=bearer(key),
                         json={"hostname": "nuc", "agent_version": "0.1.0"}).json()
        assert (checkin["bundle_version"], checkin["bundle_digest"]) == (bundle["version"], bundle["digest"])
        (envelope,) = checkin["orders"]
        assert verify_order(envelope, keyring, appliance_id=prov["appliance_id"],
                            nonce_seen=lambda _: False).order_id == order["id"]
        (target,) = checkin["targets"]
        opened = json.loads(nacl.public.SealedBox(box).decrypt(base64.b64decode(target["sealed"])))
        assert opened["password"] == "s3cret"

        sync = c.get("/api/agent/sync", headers=bearer(key))
        assert verify_bundle(sync.content, keyring).version == bundle["version"]
        assert c.get("/api/agent/sync", headers={**bearer(key), "If-None-Match": sync.headers["etag"]}).status_code == 304

        events = [event(EventKind.INCIDENT, factories.incident(site, host=f"pc-{i}")).model_dump(mode="json")
                  for i in range(500)]
        assert c.post("/api/agent/telemetry", headers=bearer(key), json={"events": events}).json() == {
            "accepted": 500, "duplicates": 0}
        assert c.post("/api/agent/telemetry", headers=bearer(key), json={"events": events}).json() == {
            "accepted": 0, "duplicates": 500}

        assert c.post(f"/api/orders/{order['id']}/acknowledge", headers=bearer(key), json={}).status_code == 200
        done = c.post(f"/api/orders/{order['id']}/complete", headers=bearer(key), json={"status": "completed"})
        assert done.json()["status"] == "completed"

        assert c.post(f"/api/sites/{site}/appliances/{prov['appliance_id']}/revoke",
                      headers=bearer(admin)).status_code == 200
        assert c.post("/api/appliances/checkin", headers=bearer(key),
                      json={"hostname": "nuc", "agent_version": "0.1.0"}).status_code == 403


def test_other_sites_appliance_cannot_see_or_touch_over_socket(live_server, admin):
    with httpx.Client(base_url=live_server.base_url, timeout=30) as c:
        site_a = c.post("/api/sites", json={"name": "A"}, headers=bearer(admin)).json()["id"]
        site_b = c.post("/api/sites", json={"name": "B"}, headers=bearer(admin)).json()["id"]
        a = c.post(f"/api/sites/{site_a}/appliances", json={}, headers=bearer(admin)).json()
        b = c.post(f"/api/sites/{site_b}/appliances", json={}, headers=bearer(admin)).json()
        order_b = c.post("/api/orders", json={"appliance_id": b["appliance_id"], "type": "sync_rules"},
                         headers=bearer(admin)).json()["id"]
        forged = event(EventKind.INCIDENT, factories.incident(site_b)).model_dump(mode="json")
        assert c.post("/api/agent/telemetry", json={"events": [forged]}, headers=bearer(a["api_key"])).status_code == 403
        assert c.post(f"/api/orders/{order_b}/complete", json={"status": "failed"},
                      headers=bearer(a["api_key"])).status_code == 404
        assert c.get(f"/api/sites/{site_b}", headers=bearer(a["api_key"])).status_code == 403
        assert c.post("/api/appliances/checkin", json={"hostname": "a", "agent_version": "1"},
                      headers=bearer(a["api_key"])).json()["orders"] == []
        assert c.get(f"/api/orders/{order_b}", headers=bearer(admin)).json()["status"] == "pending"


def test_tokens_cli_partner_needs_a_live_site(live_server):
    out = _cli(live_server, "tokens", "create", "--role", "partner", "--site", "not-a-uuid")
    assert out.returncode != 0
    assert out.stderr.startswith("error:") and "Traceback" not in out.stderr
