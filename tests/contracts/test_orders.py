"""Signed orders: an appliance runs only what was signed for it, once, in time, within bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.envelope import Keyring, generate_signing_key
from contracts.errors import (
    ExpiredError,
    OrderParamsError,
    ReplayedNonceError,
    UnknownKeyError,
    WrongTargetError,
)
from contracts.orders import ORDER_TYPES, OrderPolicy, check_params, sign_order, verify_order

APPLIANCE = "6f1c1d52-5c1b-4a8e-9c59-0d6f3c1e2a11"


@pytest.fixture
def key():
    return generate_signing_key()


@pytest.fixture
def ring(key):
    return Keyring.of(key.verify_key)


def _never_seen(_nonce: str) -> bool:
    return False


def test_order_for_this_appliance_verifies(key, ring):
    order, env = sign_order("force_checkin", {}, signing_key=key, target_appliance_id=APPLIANCE)
    got = verify_order(env, ring, appliance_id=APPLIANCE, nonce_seen=_never_seen)
    assert got.order_id == order.order_id
    assert got.type == "force_checkin"


def test_fleet_order_verifies_on_any_appliance(key, ring):
    _, env = sign_order("sync_rules", {}, signing_key=key, target_appliance_id=None)
    assert verify_order(env, ring, appliance_id="any", nonce_seen=_never_seen).target_appliance_id is None


def test_order_for_another_appliance_wrong_target(key, ring):
    _, env = sign_order("force_checkin", {}, signing_key=key, target_appliance_id="someone-else")
    with pytest.raises(WrongTargetError):
        verify_order(env, ring, appliance_id=APPLIANCE, nonce_seen=_never_seen)


def test_order_seen_nonce_replayed(key, ring):
    order, env = sign_order("force_checkin", {}, signing_key=key, target_appliance_id=APPLIANCE)
    seen = {order.nonce}
    with pytest.raises(ReplayedNonceError):
        verify_order(env, ring, appliance_id=APPLIANCE, nonce_seen=seen.__contains__)


def test_order_expired_refused(key, ring):
    _, env = sign_order(
        "force_checkin", {}, signing_key=key, target_appliance_id=APPLIANCE, ttl=timedelta(seconds=-1)
    )
    with pytest.raises(ExpiredError):
        verify_order(env, ring, appliance_id=APPLIANCE, nonce_seen=_never_seen)


def test_order_untrusted_signer_unknown_key(key):
    _, env = sign_order("force_checkin", {}, signing_key=key, target_appliance_id=APPLIANCE)
    with pytest.raises(UnknownKeyError):
        verify_order(env, Keyring.of(generate_signing_key().verify_key), appliance_id=APPLIANCE,
                     nonce_seen=_never_seen)


def test_every_order_type_has_a_schema():
    assert len(ORDER_TYPES) == 17
    assert {"nixos_rebuild", "update_agent", "update_iso", "sync_promoted_rule", "execute_runbook"} <= set(
        ORDER_TYPES
    )


@pytest.mark.parametrize(
    ("order_type", "params"),
    [
        ("teleport", {}),
        ("force_checkin", {"unexpected": 1}),
        ("nixos_rebuild", {"flake_ref": "github:org/repo#host; rm -rf /"}),
        ("nixos_rebuild", {"flake_ref": "http://evil.example/flake#x"}),
        ("update_agent", {"url": "http://updates.osiris.local/a.bin", "sha256": "0" * 64}),
        ("update_agent", {"url": "https://evil.example/a.bin", "sha256": "0" * 64}),
        ("update_agent", {"url": "https://user@updates.osiris.local/a.bin", "sha256": "0" * 64}),
        ("update_iso", {"url": "https://updates.osiris.local/a.iso", "sha256": "xyz"}),
        ("restart_agent", {"delay_seconds": 999999}),
        ("execute_runbook", {"runbook_id": "rm -rf", "target": "pc1"}),
        ("execute_runbook", {"runbook_id": "RB-WIN-FIREWALL-001", "target": "pc1 && calc"}),
        ("view_logs", {"lines": 0}),
        ("update_credentials", {"credential_id": "../../etc/passwd"}),
        ("deploy_sensor", {"hostname": "$(whoami)"}),
    ],
)
def test_params_outside_allowlist_refused(order_type, params):
    with pytest.raises(OrderParamsError):
        check_params(order_type, params)


@pytest.mark.parametrize(
    ("order_type", "params"),
    [
        ("nixos_rebuild", {"flake_ref": "github:osiris/appliance#office-01"}),
        ("nixos_rebuild", {"flake_ref": "git+https://git.example.org/osiris/appliance?ref=main#office"}),
        ("update_agent", {"url": "https://updates.osiris.local/agent-1.2.3.tar.gz", "sha256": "a" * 64}),
        ("execute_runbook", {"runbook_id": "RB-WIN-FIREWALL-001", "target": "frontdesk-01.clinic.local"}),
        ("diagnostic", {"kind": "network"}),
        ("run_drift", {"check_types": ["firewall_status"]}),
    ],
)
def test_params_inside_allowlist_accepted(order_type, params):
    check_params(order_type, params)


def test_update_domains_follow_policy():
    policy = OrderPolicy(update_domains=("dl.msp.example",))
    check_params("update_iso", {"url": "https://dl.msp.example/x.iso", "sha256": "b" * 64}, policy)
    with pytest.raises(OrderParamsError):
        check_params("update_iso", {"url": "https://updates.osiris.local/x.iso", "sha256": "b" * 64}, policy)


def test_sign_order_refuses_bad_params_at_creation(key):
    with pytest.raises(OrderParamsError):
        sign_order("restart_agent", {"delay_seconds": -5}, signing_key=key, target_appliance_id=None)
