"""Signed orders end to end on the stub: refused ones reported and never run, every type answered."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import nacl.signing
import pytest
from fastapi import FastAPI
from fastapi.responses import Response

from agent.order_handlers import HANDLERS
from contracts.orders import ORDER_TYPES, OrderPolicy
from tests.agent.central_stub import LiveServer
from tests.agent.conftest import sim
from tests.agent.tls import make_tls


def _results(state) -> dict[str, dict]:
    return {e["payload"]["order_id"]: e["payload"] for e in state.events.values() if e["kind"] == "order_result"}


def _completes(state) -> dict[str, str]:
    return {oid: body["status"] for oid, step, body in state.acks if step == "complete"}


def test_every_order_type_has_a_handler():
    assert set(HANDLERS) == set(ORDER_TYPES)


def _tamper(envelope: dict) -> dict:
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["params"]["target"] = "evil-host"
    return {**envelope, "payload": base64.b64encode(json.dumps(payload).encode()).decode()}


@pytest.mark.parametrize("case", ["tampered", "foreign", "expired", "unknown_key", "wrong_type_payload"])
def test_bad_order_refused_reported_never_run(central, make_agent, case):
    state, _ = central
    target = sim("h1", "linux")
    target.executor.drift("firewall_status")
    agent = make_agent([target], check_types=["ssh_root_login"])
    params = {"runbook_id": "RB-LNX-FIREWALL-001", "target": "h1"}
    if case == "tampered":
        env = state.order("execute_runbook", params)
        state.pending_orders[-1] = _tamper(env)
    elif case == "foreign":
        state.order("execute_runbook", params, target="00000000-0000-4000-8000-0000000000ff")
    elif case == "expired":
        state.order("execute_runbook", params, ttl=timedelta(seconds=-60))
    elif case == "unknown_key":
        state.order("execute_runbook", params, key=nacl.signing.SigningKey.generate())
    else:
        env = state.order("execute_runbook", params)
        state.pending_orders[-1] = {**env, "payloadType": "application/vnd.osiris.rules-bundle+json"}
    report = agent.cycle()
    assert report.orders == {"refused": 1}
    assert target.executor.stats.remediations == 0 and not target.executor.is_compliant("firewall_status")
    (result,) = _results(state).values()
    assert result["status"] == "refused" and "[unverified order id]" in result["detail"]
    assert _completes(state) == {}


def test_replayed_order_refused_the_second_time(central, make_agent):
    state, _ = central
    target = sim("h1", "linux")
    agent = make_agent([target], check_types=["ssh_root_login"])
    env = state.order("execute_runbook", {"runbook_id": "RB-LNX-FIREWALL-001", "target": "h1"})
    assert agent.cycle().orders == {"completed": 1}
    state.pending_orders.append(env)
    report = agent.cycle()
    assert report.orders == {"refused": 1}
    assert target.executor.stats.remediations == 1
    statuses = sorted(r["status"] for r in state.events.values() if r["kind"] == "order_result" for r in [r["payload"]])
    assert statuses == ["completed", "refused"]


def test_replay_refused_after_agent_restart(central, make_agent):
    state, _ = central
    agent = make_agent([sim("h1", "linux")], check_types=["ssh_root_login"])
    env = state.order("force_checkin")
    agent.cycle()
    agent.close()
    again = make_agent([sim("h1", "linux")], check_types=["ssh_root_login"])
    state.pending_orders.append(env)
    assert again.cycle().orders == {"refused": 1}


def test_execute_runbook_order_heals_and_completes(central, make_agent):
    state, _ = central
    target = sim("h1", "linux")
    target.executor.drift("firewall_status")
    agent = make_agent([target], check_types=["ssh_root_login"])
    env = state.order("execute_runbook", {"runbook_id": "RB-LNX-FIREWALL-001", "target": "h1"})
    agent.cycle()
    order_id = json.loads(base64.b64decode(env["payload"]))["order_id"]
    assert target.executor.is_compliant("firewall_status")
    assert [s for o, s, _ in state.acks if o == order_id] == ["acknowledge", "complete"]
    assert _completes(state)[order_id] == "completed"


@pytest.mark.parametrize(
    ("order_type", "params", "status"),
    [
        ("deploy_sensor", {"hostname": "ws1"}, "unsupported"),
        ("remove_linux_sensor", {"hostname": "srv1"}, "unsupported"),
        ("nixos_rebuild", {"flake_ref": "github:msp/appliance#site1"}, "unsupported"),
        ("update_iso", {"url": "https://updates.osiris.local/a.iso", "sha256": "0" * 64}, "unsupported"),
        ("sensor_status", {}, "completed"),
        ("diagnostic", {"kind": "all"}, "completed"),
        ("run_drift", {"check_types": ["no_such_check"]}, "failed"),
        ("run_drift", {"check_types": ["firewall_status"]}, "completed"),
        ("sync_rules", {}, "completed"),
        ("update_credentials", {"credential_id": "00000000-0000-4000-8000-000000000009"}, "completed"),
        ("execute_runbook", {"runbook_id": "RB-WIN-FIREWALL-001", "target": "h1"}, "failed"),
        ("execute_runbook", {"runbook_id": "RB-LNX-FIREWALL-001", "target": "nope"}, "failed"),
    ],
)
def test_order_type_answers(central, make_agent, order_type, params, status):
    state, _ = central
    agent = make_agent([sim("h1", "linux")], check_types=["ssh_root_login"])
    state.order(order_type, params)
    assert agent.cycle().orders == {status: 1}
    (result,) = _results(state).values()
    assert result["status"] == status


def test_force_checkin_checks_in_twice(central, make_agent):
    state, _ = central
    agent = make_agent([], check_types=["ssh_root_login"])
    state.order("force_checkin")
    agent.cycle()
    assert len(state.checkins) == 2


def test_view_logs_scrubs_phi(central, make_agent):
    state, _ = central
    agent = make_agent([])
    agent.settings.effective_log_file.write_text("ok line\npatient John Smith SSN 123-45-6789 at 10.1.2.3\n")
    state.order("view_logs", {"lines": 10})
    agent.cycle()
    (result,) = _results(state).values()
    assert result["status"] == "completed" and "123-45-6789" not in result["detail"] and "10.1.2.3" not in result["detail"]


def test_restart_agent_order_ends_run_with_restart_code(central, make_agent):
    state, _ = central
    agent = make_agent([])
    state.order("restart_agent", {"delay_seconds": 0})
    assert agent.run(max_cycles=5) == 75


def test_sync_promoted_rule_takes_effect_before_next_bundle(central, make_agent):
    state, _ = central
    target = sim("w1", "windows")
    agent = make_agent([target], check_types=["smb_signing"])
    rule = {"id": "L1-PROMO-SMBSIGN", "priority": 50, "source": "promoted", "action": "execute_runbook",
            "runbook_id": "RB-WIN-SMBSIGN-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "smb_signing"}]}
    state.order("sync_promoted_rule", {"rule": rule})
    target.executor.drift("smb_signing")
    report = agent.cycle()
    assert report.orders == {"completed": 1} and report.outcomes == {"L1:healed": 1}


def test_update_agent_downloads_over_tls_and_checks_sha256(central, make_agent, tmp_path):
    state, _ = central
    blob = b"osiris-agent-0.2.0 wheel bytes" * 100
    app = FastAPI()

    @app.get("/agent.whl")
    def wheel() -> Response:
        return Response(blob, media_type="application/octet-stream")

    tls = make_tls(tmp_path)
    server = LiveServer(app, ssl={"ssl_certfile": str(tls["cert"]), "ssl_keyfile": str(tls["key"])}).start()
    try:
        policy = OrderPolicy(update_domains=("127.0.0.1",))
        agent = make_agent([], update_domains=["127.0.0.1"], ca_bundle=tls["ca"])
        url = f"https://127.0.0.1:{server.port}/agent.whl"
        state.order("update_agent", {"url": url, "sha256": hashlib.sha256(blob).hexdigest(), "version": "0.2.0"},
                    policy=policy)
        state.order("update_agent", {"url": url, "sha256": "1" * 64, "version": "0.2.1"}, policy=policy)
        report = agent.cycle()
    finally:
        server.stop()
    assert report.orders == {"completed": 1, "failed": 1}
    staged = agent.settings.state_dir / "updates" / "agent-0.2.0"
    assert staged.read_bytes() == blob
    assert not (agent.settings.state_dir / "updates" / "agent-0.2.1").exists()
    assert "sha256 mismatch" in next(r["detail"] for r in _results(state).values() if r["status"] == "failed")


def test_order_completion_retried_when_central_drops_it(central, make_agent):
    state, _ = central
    agent = make_agent([])
    state.order("sensor_status")

    real = agent.central.order_status
    calls = {"n": 0}

    def flaky(order_id, step, ack):
        if step == "complete" and calls["n"] == 0:
            calls["n"] += 1
            from agent.errors import CentralUnavailableError

            raise CentralUnavailableError("blip")
        return real(order_id, step, ack)

    agent.central.order_status = flaky
    agent.cycle()
    assert _completes(state) == {}
    agent.cycle()
    assert list(_completes(state).values()) == ["completed"]


@pytest.mark.parametrize("junk", [{"junk": 1}, {"payloadType": "application/vnd.osiris.order+json"}, {"payloadType": "x", "payload": "!!", "signatures": []}])
def test_garbage_order_envelope_refused_without_crash(central, make_agent, junk):
    state, _ = central
    agent = make_agent([])
    state.pending_orders.append(junk)
    assert agent.cycle().orders == {"refused": 1}
    assert _results(state) == {}  # names no order id Central Command could file it under: logged only
