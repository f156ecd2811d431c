"""Hostile input on every route: garbage path values, and valid bodies with one field at a time
replaced by something nasty. Whatever arrives, the answer is never a 5xx.

(schemathesis would be the tool of choice, but its hypothesis-jsonschema dependency does not run on
the installed hypothesis; seeded field-wise mutation of known-good bodies reaches deeper anyway,
since every other field stays valid and the request gets past the first validator.)
"""

from __future__ import annotations

import copy
import math
import random
import re
import uuid

import pytest

from contracts.telemetry import EventKind, event
from tests.serving import factories
from tests.serving.factories import bearer
from tests.serving.test_auth_routes import app_routes

HOSTILE_VALUES = [
    None, "", " ", "\u0000", "x\u0000y", "é" * 3, "😀", "x" * 100_000, "../../etc/passwd", "' OR 1=1 --",
    "%00", "NaN", "Infinity", -1, 0, 2**31, 2**63, -(2**63) - 1, 1e308, -1e308, math.inf, -math.inf,
    math.nan, True, [], [None], {}, {"$gt": ""}, [[[[[[]]]]]], "2026-13-45T99:99:99Z", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z", str(uuid.uuid4()),
]
PATH_VALUES = ["x", "0", "%00", "..", "a" * 300, "00000000-0000-0000-0000-000000000000", str(uuid.uuid4()),
               "12345678-1234-1234-1234-1234567890123"]


def _mutations(body, rng: random.Random, per_field: int = 6):
    """The body with each field (recursively) replaced in turn by a seeded sample of hostile values."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((*path, k))
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:2]):
                paths.append((*path, i))
                walk(v, (*path, i))

    walk(body, ())
    for path in paths:
        for value in rng.sample(HOSTILE_VALUES, per_field):
            mutated = copy.deepcopy(body)
            target = mutated
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            yield path, mutated
    for value in HOSTILE_VALUES:
        yield ("<body>",), value


async def _post_json(client, method, url, body, headers):
    import json

    content = json.dumps(body, allow_nan=True).encode()  # NaN / Infinity are what a hostile peer sends
    return await client.request(method, url, content=content, headers={**headers, "content-type": "application/json"})


async def test_garbage_path_values_never_5xx(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    failures = []
    for method, path in sorted(app_routes(api.app)):
        if "{" not in path:
            continue
        for value in PATH_VALUES:
            url = re.sub(r"\{\w+\}", value, path)
            for secret in (api.admin, appliance.api_key):
                r = await api.client.request(method, url, json={} if method != "GET" else None, headers=bearer(secret))
                if r.status_code >= 500:
                    failures.append(f"{method} {url}: {r.status_code} {r.text[:150]}")
    assert not failures, "\n".join(failures[:20])


async def test_mutated_bodies_never_5xx(api):
    client = api.client
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    order = (await client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "run_drift"},
                               headers=bearer(api.admin))).json()["id"]
    admin, app_h = bearer(api.admin), appliance.headers
    seeds = [
        ("POST", "/api/sites", {"name": "n", "timezone": "UTC", "notes": ""}, admin),
        ("PATCH", f"/api/sites/{sid}", {"name": "n", "timezone": "UTC", "notes": "x"}, admin),
        ("POST", f"/api/sites/{sid}/devices/manual",
         {"hostname": "pc", "ip": "10.0.0.1", "mac": "00:11:22:33:44:55", "os": "w", "device_type": "pc",
          "domain_joined": False, "notes": ""}, admin),
        ("POST", f"/api/sites/{sid}/appliances", {"name": "a", "box_public_key": appliance.provisioned["api_key"][:4],
                                                  "signing_public_key": None}, admin),
        ("PUT", "/api/appliances/me/keys", {"box_public_key": appliance.provisioned["signing_public_key"].split()[-1],
                                            "signing_public_key": appliance.provisioned["signing_public_key"].split()[-1]}, app_h),
        ("POST", f"/api/sites/{sid}/credentials", {"host": "h", "port": 22, "username": "u", "password": "p",
                                                    "distro": "d", "sudo_password": "s"}, admin),
        ("POST", "/api/appliances/checkin", {"hostname": "h", "agent_version": "1", "platform": "linux",
                                             "bundle_version": 0, "uptime_seconds": 1.0, "outbox_depth": 0}, app_h),
        ("POST", "/api/orders", {"appliance_id": appliance.appliance_id, "type": "view_logs", "params": {"lines": 5},
                                 "ttl_seconds": 60}, admin),
        ("POST", "/api/orders/fleet", {"type": "run_drift", "params": {"check_types": ["a"]}, "site_ids": [sid],
                                       "ttl_seconds": 60}, admin),
        ("POST", f"/api/orders/{order}/acknowledge", {"status": "acknowledged", "detail": ""}, app_h),
        ("POST", f"/api/orders/{order}/complete", {"status": "completed", "detail": ""}, app_h),
        ("POST", "/api/bundles", {"rules": [{"id": "r", "conditions": [], "action": "escalate"}],
                                  "expires_in_days": 3}, admin),
    ]
    for kind_event in factories.one_of_each(sid, order, appliance=appliance):
        seeds.append(("POST", "/api/agent/telemetry", {"events": [kind_event]}, app_h))
    seeds.append(("POST", "/api/agent/telemetry",
                  {"events": [event(EventKind.INCIDENT, factories.incident(sid)).model_dump(mode="json")]}, app_h))
    failures = []
    rng = random.Random(7)
    for method, url, body, headers in seeds:
        for where, mutated in _mutations(body, rng):
            r = await _post_json(client, method, url, mutated, headers)
            if r.status_code >= 500:
                failures.append(f"{method} {url} {where}: {r.status_code} {r.text[:150]}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[]" * 1000, b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
                                 b"null", b'"x"', b'{"events": NaN}'],
                         ids=["empty", "unclosed", "not-utf8", "concatenated", "deep", "null", "string", "nan"])
async def test_broken_json_never_5xx(api, raw):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    for url, headers in (("/api/agent/telemetry", appliance.headers), ("/api/sites", bearer(api.admin))):
        r = await api.client.post(url, content=raw, headers={**headers, "content-type": "application/json"})
        assert r.status_code == 400, (url, r.status_code, r.text[:200])
