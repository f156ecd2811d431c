"""Every route of the app, called as every kind of caller: no route is open (or closed) by accident.

The table below is the access policy. A route the table does not list fails the test, so a new
route cannot ship without someone deciding who may call it.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.routing import iter_route_contexts

from tests.serving import factories
from tests.serving.factories import bearer

CALLERS = ("nobody", "appliance", "admin", "auditor", "partner_own", "partner_other")

# Who reaches a route: "ok" means the request got past authentication and authorisation (any status
# but 401/403); a number is the refusal expected.
POLICIES: dict[str, dict[str, int | str]] = {
    "public": dict.fromkeys(CALLERS, "ok"),
    "any": {"nobody": 401, "appliance": "ok", "admin": "ok", "auditor": "ok", "partner_own": "ok", "partner_other": "ok"},
    "appliance": {"nobody": 401, "appliance": "ok", "admin": 403, "auditor": 403, "partner_own": 403, "partner_other": 403},
    "admin": {"nobody": 401, "appliance": 403, "admin": "ok", "auditor": 403, "partner_own": 403, "partner_other": 403},
    "read": {"nobody": 401, "appliance": 403, "admin": "ok", "auditor": "ok", "partner_own": "ok", "partner_other": "ok"},
    "read_site": {"nobody": 401, "appliance": 403, "admin": "ok", "auditor": "ok", "partner_own": "ok", "partner_other": 403},
    "write": {"nobody": 401, "appliance": 403, "admin": "ok", "auditor": 403, "partner_own": "ok", "partner_other": "ok"},
    "write_site": {"nobody": 401, "appliance": 403, "admin": "ok", "auditor": 403, "partner_own": "ok", "partner_other": 403},
}

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/redoc"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/metrics"): "public",
    ("POST", "/api/sites"): "admin",
    ("GET", "/api/sites"): "read",
    ("GET", "/api/sites/{site_id}"): "read_site",
    ("PATCH", "/api/sites/{site_id}"): "write_site",
    ("DELETE", "/api/sites/{site_id}"): "admin",
    ("POST", "/api/sites/{site_id}/devices/manual"): "write_site",
    ("GET", "/api/sites/{site_id}/devices"): "read_site",
    ("POST", "/api/sites/{site_id}/appliances"): "write_site",
    ("GET", "/api/sites/{site_id}/appliances"): "read_site",
    ("POST", "/api/sites/{site_id}/appliances/{appliance_id}/revoke"): "write_site",
    ("PUT", "/api/appliances/me/keys"): "appliance",
    ("POST", "/api/sites/{site_id}/credentials"): "write_site",
    ("GET", "/api/sites/{site_id}/credentials"): "read_site",
    ("DELETE", "/api/sites/{site_id}/credentials/{credential_id}"): "write_site",
    ("POST", "/api/appliances/checkin"): "appliance",
    ("POST", "/api/bundles"): "admin",
    ("GET", "/api/bundles"): "read",
    ("GET", "/api/agent/sync"): "appliance",
    ("POST", "/api/agent/telemetry"): "appliance",
    ("POST", "/api/orders"): "write",
    ("POST", "/api/orders/fleet"): "write",
    ("GET", "/api/orders"): "read",
    ("GET", "/api/orders/{order_id}"): "read",
    ("POST", "/api/orders/{order_id}/acknowledge"): "appliance",
    ("POST", "/api/orders/{order_id}/complete"): "appliance",
    ("GET", "/api/keys/orders-public"): "any",
    ("GET", "/api/cves"): "read",
    ("GET", "/api/cves/{cve_id}"): "read",
    ("GET", "/api/frameworks/{framework}/controls"): "read",
    ("GET", "/api/sites/{site_id}/compliance"): "read_site",
}

# Routes that plug-in modules (L2, L3, gRPC enrollment) add when they are present in the build:
# checked whenever the app serves them, not required when it does not.
PLUGIN_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/agent/l2/plan"): "appliance",
    ("GET", "/api/escalations"): "read",
    ("POST", "/api/escalations/{escalation_id}/resolve"): "write",
    ("POST", "/api/sites/{site_id}/enrollment-tokens"): "admin",
    ("GET", "/api/sites/{site_id}/enrollment-tokens"): "admin",
    ("DELETE", "/api/sites/{site_id}/enrollment-tokens/{token_id}"): "admin",
    ("GET", "/api/flywheel/candidates"): "read",
    ("GET", "/api/flywheel/candidates/{signature}/{runbook_id}"): "read",
    ("POST", "/api/flywheel/candidates/{signature}/{runbook_id}/pin"): "admin",
    ("POST", "/api/flywheel/candidates/{signature}/{runbook_id}/veto"): "admin",
    ("DELETE", "/api/flywheel/candidates/{signature}/{runbook_id}/override"): "admin",
    ("GET", "/api/flywheel/rules"): "read",
    ("GET", "/api/flywheel/rules/{rule_id}"): "read",
    ("GET", "/api/flywheel/rules/{rule_id}/audit"): "read",
    ("GET", "/api/flywheel/audit"): "read",
    ("GET", "/api/sites/{site_id}/evidence/chain"): "read_site",
}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) for every route the app serves, HEAD aside."""
    found = set()
    for ctx in iter_route_contexts(app.routes):
        for method in ctx.methods or ():
            if method != "HEAD":
                found.add((method, ctx.path))
    return found


async def test_route_table_covers_every_route(api):
    served = app_routes(api.app)
    assert served - ROUTES.keys() - PLUGIN_ROUTES.keys() == set(), "routes without an access policy"
    assert ROUTES.keys() - served == set(), "policies for routes that no longer exist"


async def test_every_route_admits_exactly_its_callers(api):
    client = api.client
    site_a = await factories.site(client, api.admin, "A")
    site_b = await factories.site(client, api.admin, "B")
    doomed = await factories.site(client, api.admin, "deleted by the walk")
    appliance = await factories.appliance(client, api.admin, site_a)
    secrets = {
        "nobody": None,
        "appliance": appliance.api_key,
        "admin": api.admin,
        "auditor": await factories.token(api.pool, "auditor"),
        "partner_own": await factories.token(api.pool, "partner", [site_a, doomed]),
        "partner_other": await factories.token(api.pool, "partner", [site_b]),
    }
    failures = []
    served = app_routes(api.app)
    table = {**ROUTES, **{k: v for k, v in PLUGIN_ROUTES.items() if k in served}}
    for (method, path), policy in sorted(table.items()):
        site = doomed if (method, path) == ("DELETE", "/api/sites/{site_id}") else site_a
        url = path.replace("{site_id}", site)
        url = re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), url)
        for caller in CALLERS:
            headers = bearer(secrets[caller]) if secrets[caller] else {}
            body = {} if method in ("POST", "PUT", "PATCH") else None
            r = await client.request(method, url, json=body, headers=headers)
            expected = POLICIES[policy][caller]
            got_ok = r.status_code not in (401, 403)
            if (expected == "ok") != got_ok or (expected != "ok" and r.status_code != expected):
                failures.append(f"{method} {path} as {caller}: {r.status_code} (expected {expected}) {r.text[:120]}")
            assert r.status_code < 500, f"{method} {path} as {caller}: {r.status_code} {r.text[:200]}"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("header", ["Bearer ost_nobody-issued-this", "Bearer osa_nobody-issued-this",
                                    "Bearer something-else", "Basic dXNlcjpwYXNz"])
async def test_unknown_credentials_unauthorized(api, header):
    r = await api.client.get("/api/sites", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_revoked_token_unauthorized(api):
    from warehouse.sql_files import sql

    secret = await factories.token(api.pool, "auditor")
    assert (await api.client.get("/api/sites", headers=bearer(secret))).status_code == 200
    token_id = await api.pool.fetchval("SELECT id FROM api_tokens WHERE role = 'auditor'")
    await api.pool.fetchval(sql("serving/token_revoke"), token_id)
    assert (await api.client.get("/api/sites", headers=bearer(secret))).status_code == 401
