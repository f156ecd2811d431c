"""Per-appliance rate limits: past its bucket an appliance gets 429 with a numeric Retry-After, others don't.

Over HTTP with small limits (every appliance route shares the one bucket), with the shipped default
limits, and over gRPC (RESOURCE_EXHAUSTED with a `retry-after` trailer).
"""

from __future__ import annotations

import grpc
import pytest

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from serving.grpc.server import serve
from serving.ratelimit import TokenBucket
from serving.settings import Settings
from tests.serving import factories
from tests.serving.conftest import make_settings, start_api
from tests.serving.grpc import helpers

CHECKIN = {"hostname": "appliance-1", "agent_version": "0.1.0"}


def _retry_after(headers) -> int:
    value = headers.get("retry-after")
    assert value is not None and value.isdigit(), f"Retry-After {value!r}"
    return int(value)


async def test_rate_limit_past_burst_429_with_retry_after_per_appliance(db_url, tmp_path):
    settings = make_settings(db_url, tmp_path, rate_limit_per_second=0.5, rate_limit_burst=3)
    async for api in start_api(settings):
        site = await factories.site(api.client, api.admin)
        noisy = await factories.appliance(api.client, api.admin, site, name="noisy")
        quiet = await factories.appliance(api.client, api.admin, site, name="quiet")
        codes = [(await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=noisy.headers)).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 200]
        for method, path, body in (("POST", "/api/appliances/checkin", CHECKIN),
                                   ("POST", "/api/agent/telemetry", {"events": []}),
                                   ("GET", "/api/agent/sync", None)):
            r = await api.client.request(method, path, json=body, headers=noisy.headers)
            assert r.status_code == 429, (path, r.status_code, r.text)
            assert 1 <= _retry_after(r.headers) <= 2  # one token at 0.5/s
            assert "retry after" in r.json()["detail"]
        r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=quiet.headers)
        assert r.status_code == 200, "one appliance's burst must not throttle another"
        metrics = (await api.client.get("/metrics")).text
        counted = [float(line.split()[1]) for line in metrics.splitlines() if line.startswith("osiris_rate_limited_total ")]
        assert counted == [3.0], "every 429 is counted"


async def test_rate_limit_shipped_defaults_still_limit(db_url, tmp_path):
    defaults = Settings(database_url=db_url, home=tmp_path)
    assert defaults.rate_limit_per_second == 20.0 and defaults.rate_limit_burst == 120
    async for api in start_api(defaults):
        site = await factories.site(api.client, api.admin)
        appliance = await factories.appliance(api.client, api.admin, site)
        sent = 0
        while sent < 600:
            sent += 1
            r = await api.client.post("/api/appliances/checkin", json=CHECKIN, headers=appliance.headers)
            if r.status_code == 429:
                break
            assert r.status_code == 200, r.text
        assert r.status_code == 429 and sent > defaults.rate_limit_burst, sent
        _retry_after(r.headers)


async def test_rate_limit_grpc_resource_exhausted_with_retry_after(pool, signing_key, grpc_settings, site_id):
    servers = await serve(pool, signing_key, port=0, settings=grpc_settings, limiter=TokenBucket(0.5, 2))
    try:
        appliance = await helpers.enroll(pool, servers, site_id)
        async with appliance.channel(servers) as channel:
            stub = pb_grpc.ComplianceAgentStub(channel)
            request = pb.HeartbeatRequest(hostname="appliance-1", agent_version="0.1.0")
            for _ in range(2):
                await stub.Heartbeat(request, timeout=10)
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.Heartbeat(request, timeout=10)
        assert info.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        trailers = dict(info.value.trailing_metadata() or ())
        assert trailers.get("retry-after", "").isdigit(), trailers
    finally:
        await servers.stop()
