"""CORS is closed by default: no origin, however it asks, is told it may read Central Command's answers.

Appliances and the CLI are not browsers, so a default deployment allows no origin at all; a
deployment that lists origins allows exactly those (the control, so the closed case cannot pass
because CORS headers are never sent by anything).
"""

from __future__ import annotations

import httpx

from serving.settings import Settings
from tests.serving.conftest import make_settings, start_api

EVIL = "https://evil.example"
PREFLIGHT = {"Origin": EVIL, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization,content-type"}


def _allow_origin(response: httpx.Response) -> str | None:
    return response.headers.get("access-control-allow-origin")


def test_cors_settings_default_no_origins(monkeypatch):
    monkeypatch.delenv("OSIRIS_CORS_ORIGINS", raising=False)
    assert Settings().cors_origins == []


async def test_cors_default_app_preflight_from_any_origin_not_allowed(api):
    for path in ("/api/sites", "/api/agent/telemetry", "/api/appliances/checkin", "/healthz"):
        r = await api.client.options(path, headers=PREFLIGHT)
        assert _allow_origin(r) is None, (path, dict(r.headers))
        assert "access-control-allow-credentials" not in r.headers
    r = await api.client.get("/api/sites", headers={"Origin": EVIL, "Authorization": f"Bearer {api.admin}"})
    assert r.status_code == 200 and _allow_origin(r) is None


def test_cors_live_server_preflight_not_allowed(seeded_server):
    r = httpx.options(seeded_server.base_url + "/api/sites", headers=PREFLIGHT, timeout=10)
    assert _allow_origin(r) is None, dict(r.headers)


async def test_cors_listed_origin_allowed_others_not(db_url, tmp_path):
    listed = "https://reports.clinic.example"
    async for handle in start_api(make_settings(db_url, tmp_path, cors_origins=[listed])):
        ok = await handle.client.options("/api/sites", headers={**PREFLIGHT, "Origin": listed})
        assert _allow_origin(ok) == listed
        refused = await handle.client.options("/api/sites", headers=PREFLIGHT)
        assert _allow_origin(refused) is None
