"""Real targets from sealed credentials: built through the executor factory with the appliance's
settings, run on real SSH and WS-Management servers on 127.0.0.1; bad credentials are skipped."""

from __future__ import annotations

import base64
import json
import logging

import nacl.public
import pytest

from agent.executors.ssh import SSHExecutor
from agent.executors.winrm import WinRMExecutor
from agent.keys import ensure_keys
from agent.settings import AgentSettings
from agent.store import Store
from agent.targets import real_targets
from tests.agent.executors.ssh_server import SSHTestServer, User
from tests.agent.executors.wsman_server import WSManServer

WSMAN_SECRET = {"username": "Administrator", "password": "Passw0rd!", "transport": "basic", "scheme": "http"}


def _seal(public_key, secret) -> str:
    return base64.b64encode(nacl.public.SealedBox(public_key).encrypt(json.dumps(secret).encode())).decode()


@pytest.fixture
def appliance(tmp_path):
    """(settings, store, keys) for one appliance; the store is closed afterwards."""
    settings = AgentSettings(state_dir=tmp_path / "state")
    store = Store(settings.db_path)
    yield settings, store, ensure_keys(settings.state_dir)
    store.close()


def _put(store, keys, host, port, platform, secret, *, public_key=None) -> None:
    store.put_target(host=host, port=port, platform=platform, distro=None, credential_id=f"cred-{host}",
                     sealed=_seal(public_key or keys.box_key.public_key, secret))


def test_real_targets_ssh_pins_host_key_in_state_dir_and_runs(appliance):
    settings, store, keys = appliance
    server = SSHTestServer({"alice": User(password="alice-pw")}).start()
    try:
        _put(store, keys, "127.0.0.1", server.port, "linux", {"username": "alice", "password": "alice-pw"})
        (target,) = real_targets(store, keys, settings)
        assert isinstance(target.executor, SSHExecutor) and target.platform == "linux"
        assert target.labels == {"kind": "ssh", "credential_id": "cred-127.0.0.1"}
        assert target.executor.known_hosts.path == settings.state_dir / "known_hosts"
        assert target.executor.run("echo sealed-ok", timeout=10).stdout == "sealed-ok\n"
        target.close()
        assert str(server.port) in (settings.state_dir / "known_hosts").read_text()
    finally:
        server.stop()


def test_real_targets_winrm_plain_http_refused_unless_appliance_allows(appliance, caplog):
    settings, store, keys = appliance
    server = WSManServer().start()
    try:
        _put(store, keys, "127.0.0.1", server.port, "windows", {**WSMAN_SECRET, "allow_http": True})
        with caplog.at_level(logging.ERROR, logger="agent.targets"):
            assert real_targets(store, keys, settings) == []  # the credential alone cannot turn http on
        assert "plain http is refused" in caplog.text and "Passw0rd!" not in caplog.text
        allowing = settings.model_copy(update={"winrm_allow_http": True, "winrm_retries": 1})
        (target,) = real_targets(store, keys, allowing)
        assert isinstance(target.executor, WinRMExecutor) and target.labels["kind"] == "winrm"
        assert target.executor.transport == "basic" and target.executor.retries == 1  # credential's transport kept
        assert target.executor.run("echo via-sealed-winrm", timeout=10).stdout == "via-sealed-winrm\n"
        target.close()
    finally:
        server.stop()


def test_real_targets_winrm_settings_transport_wins_over_credential(appliance):
    settings, store, keys = appliance
    _put(store, keys, "127.0.0.1", 5986, "windows", {"username": "u", "password": "p", "transport": "basic"})
    ca = settings.state_dir / "ca.pem"
    (target,) = real_targets(store, keys, settings.model_copy(update={"winrm_transport": "ntlm", "winrm_ca_bundle": ca}))
    ex = target.executor  # built, never connected: nothing is contacted
    assert (ex.transport, ex.endpoint, ex.cert_validation, ex.ca_trust_path) == (
        "ntlm", "https://127.0.0.1:5986/wsman", True, str(ca))


def test_real_targets_unopenable_or_malformed_credentials_skipped(appliance, caplog):
    settings, store, keys = appliance
    stranger = nacl.public.PrivateKey.generate().public_key
    _put(store, keys, "127.0.0.1", 22, "linux", {"username": "a", "password": "b"}, public_key=stranger)
    _put(store, keys, "127.0.0.2", 22, "linux", ["not", "an", "object"])
    _put(store, keys, "127.0.0.3", 22, "linux", {"password": "no-user"})
    _put(store, keys, "127.0.0.4", 22, "linux", {"username": "ok", "password": "fine"})
    with caplog.at_level(logging.ERROR, logger="agent.targets"):
        targets = real_targets(store, keys, settings)
    assert [t.host for t in targets] == ["127.0.0.4"]  # built lazily: nothing was contacted
    assert caplog.text.count("skipped") == 3 and "no-user" not in caplog.text
