"""Cross-cutting answers: 429 with Retry-After, 413, 503, unknown stored enums, keys and buckets."""

from __future__ import annotations

import os
import stat
import uuid

import pytest

from serving.errors import RateLimited
from serving.ratelimit import TokenBucket
from serving.security import KeyFileError, load_or_create_signing_key
from serving.services.auth import _safe_role
from serving.services.orders import OrderStatus, _safe_status
from tests.serving import factories
from tests.serving.conftest import make_settings, start_api
from tests.serving.factories import bearer


async def test_appliance_over_rate_limit_429_with_retry_after(db_url, tmp_path):
    # One token per 20 s: however slow a loaded machine is, no token refills during the five calls.
    settings = make_settings(db_url, tmp_path, rate_limit_per_second=0.05, rate_limit_burst=3)
    async for api in start_api(settings):
        sid = await factories.site(api.client, api.admin)
        appliance = await factories.appliance(api.client, api.admin, sid)
        codes = []
        for _ in range(5):
            r = await api.client.post("/api/agent/telemetry", json={"events": []}, headers=appliance.headers)
            codes.append(r.status_code)
        assert codes == [200, 200, 200, 429, 429]
        assert 1 <= int(r.headers["retry-after"]) <= 20
        # Another appliance has its own bucket.
        other = await factories.appliance(api.client, api.admin, sid, name="other")
        r = await api.client.post("/api/agent/telemetry", json={"events": []}, headers=other.headers)
        assert r.status_code == 200


async def test_body_over_limit_413(db_url, tmp_path):
    async for api in start_api(make_settings(db_url, tmp_path, max_body_bytes=2048)):
        r = await api.client.post("/api/sites", json={"name": "x", "notes": "n" * 4000}, headers=bearer(api.admin))
        assert r.status_code == 413


async def test_readyz_503_when_database_gone(db_url, tmp_path):
    async for api in start_api(make_settings(db_url, tmp_path)):
        assert (await api.client.get("/readyz")).status_code == 200
        await api.pool.close()
        r = await api.client.get("/readyz")
        assert r.status_code == 503
        assert (await api.client.get("/healthz")).status_code == 200


async def test_unknown_stored_order_status_reads_as_expired(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    r = await api.client.post("/api/orders", json={"appliance_id": appliance.appliance_id, "type": "sync_rules"},
                              headers=bearer(api.admin))
    order_id = r.json()["id"]
    # A newer server may store a status this one does not know; simulate it past the constraint.
    await api.pool.execute("ALTER TABLE orders DROP CONSTRAINT orders_status_check")
    await api.pool.execute("UPDATE orders SET status = 'teleported' WHERE id = $1", uuid.UUID(order_id))
    r = await api.client.get(f"/api/orders/{order_id}", headers=bearer(api.admin))
    assert (r.status_code, r.json()["status"]) == (200, "expired")


async def test_unknown_stored_role_grants_nothing(api):
    secret = await factories.token(api.pool, "admin")
    await api.pool.execute("ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check")
    await api.pool.execute("UPDATE api_tokens SET role = 'superuser' WHERE token_hash = encode(sha256($1::bytea), 'hex')",
                           secret.encode())
    r = await api.client.get("/api/sites", headers=bearer(secret))
    assert r.status_code == 403


def test_safe_enums_fall_back():
    assert _safe_status("delivered") is OrderStatus.DELIVERED
    assert _safe_status("warp") is OrderStatus.EXPIRED
    assert _safe_status(None) is OrderStatus.EXPIRED
    assert _safe_role("partner").value == "partner"
    assert _safe_role("root") is None


def test_signing_key_created_0600_and_reused(tmp_path):
    path = tmp_path / "keys" / "signing.key"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bytes(load_or_create_signing_key(path)) == bytes(first)
    assert path.with_suffix(".pub").exists()


def test_signing_key_readable_by_others_refused(tmp_path):
    path = tmp_path / "signing.key"
    load_or_create_signing_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_or_create_signing_key(path)


def test_signing_key_garbage_refused(tmp_path):
    path = tmp_path / "signing.key"
    path.write_text("-- osiris ed25519 signing key --\nnot base64\n")
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError):
        load_or_create_signing_key(path)


def test_token_bucket_refills_at_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [0.0, 0.0]
    assert bucket.take("a") == pytest.approx(0.5)
    assert bucket.take("b") == 0.0
    now[0] = 0.5
    assert bucket.take("a") == 0.0


def test_rate_limited_rounds_retry_after_up():
    assert RateLimited(0.01).retry_after == 1
    assert RateLimited(1.2).retry_after == 2
