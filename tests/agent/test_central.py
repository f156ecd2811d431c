"""The Central Command client against a live server: auth, outages, bad answers, real TLS."""

from __future__ import annotations

import pytest

from agent.central import CentralClient
from agent.errors import (
    CentralAuthError,
    CentralProtocolError,
    CentralRejectedError,
    CentralUnavailableError,
    NotOfferedError,
)
from contracts.api import CheckinRequest, L2PlanRequest
from contracts.incidents import Incident
from tests.agent.central_stub import CentralState, LiveServer, build_app, free_port
from tests.agent.tls import make_tls

REQ = CheckinRequest(hostname="appliance-1", agent_version="0.1.0")


def test_checkin_returns_contract_model(central):
    state, server = central
    with CentralClient(server.url, state.api_key) as client:
        response = client.checkin(REQ)
    assert response.site_id == state.site_id and state.checkins[0]["hostname"] == "appliance-1"


def test_checkin_wrong_key_raises_auth_error(central):
    _, server = central
    with CentralClient(server.url, "wrong") as client, pytest.raises(CentralAuthError):
        client.checkin(REQ)


def test_server_5xx_raises_unavailable(central):
    state, server = central
    state.fail_status = 503
    with CentralClient(server.url, state.api_key) as client, pytest.raises(CentralUnavailableError):
        client.checkin(REQ)


def test_nothing_listening_raises_unavailable():
    with CentralClient(f"http://127.0.0.1:{free_port()}", "k", timeout=2) as client:
        with pytest.raises(CentralUnavailableError):
            client.checkin(REQ)


def test_l2_missing_endpoint_raises_not_offered(central):
    state, server = central
    incident = Incident(site_id="s", host="h", check_type="x", platform="linux")
    with CentralClient(server.url, state.api_key) as client, pytest.raises(NotOfferedError):
        client.l2_plan(L2PlanRequest(incident=incident, platform="linux"))


def test_answer_outside_contract_raises_protocol_error():
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/appliances/checkin")
    def checkin() -> dict:
        return {"appliance_id": 1}

    @app.post("/api/agent/telemetry")
    def telemetry() -> dict:
        return {"detail": "nope"}

    server = LiveServer(app).start()
    try:
        with CentralClient(server.url, "k") as client:
            with pytest.raises(CentralProtocolError):
                client.checkin(REQ)
            with pytest.raises(CentralProtocolError):
                client.send_telemetry([])
    finally:
        server.stop()


def test_bad_request_raises_rejected_with_status(central):
    state, server = central
    with CentralClient(server.url, state.api_key) as client, pytest.raises(CentralRejectedError) as info:
        client.send_telemetry([{"event_id": "x", "kind": "nope", "payload": {}}])
    assert info.value.status_code == 422


def test_tls_untrusted_certificate_refused_then_pinned_ca_accepted(tmp_path):
    tls = make_tls(tmp_path)
    state = CentralState()
    server = LiveServer(build_app(state), ssl={"ssl_certfile": str(tls["cert"]), "ssl_keyfile": str(tls["key"])}).start()
    try:
        with CentralClient(server.url, state.api_key) as client, pytest.raises(CentralUnavailableError, match="CERTIFICATE"):
            client.checkin(REQ)
        with CentralClient(server.url, state.api_key, ca_bundle=tls["ca"]) as client:
            assert client.checkin(REQ).appliance_id == state.appliance_id
    finally:
        server.stop()


def test_client_refuses_non_http_url():
    with pytest.raises(ValueError):
        CentralClient("ftp://127.0.0.1", "k")
