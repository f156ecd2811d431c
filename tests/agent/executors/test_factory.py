"""The factory picks the executor by platform; what it builds really runs on the local peers."""

from __future__ import annotations

import pytest

from agent.errors import SettingsError
from agent.executors.factory import TargetConfig, executor_for, target_for
from agent.executors.simulated import SimulatedHost
from agent.executors.ssh import SSHExecutor
from agent.executors.winrm import WinRMExecutor
from agent.settings import AgentSettings


@pytest.fixture
def settings(tmp_path) -> AgentSettings:
    return AgentSettings(state_dir=tmp_path / "state")


def test_factory_windows_gets_winrm_over_https(settings):
    ex = executor_for(TargetConfig("10.1.1.5", "windows", secret={"username": "u", "password": "p"}), settings)
    assert isinstance(ex, WinRMExecutor) and ex.endpoint == "https://10.1.1.5:5986/wsman" and ex.cert_validation


def test_factory_linux_gets_ssh_pinning_in_state_dir(settings):
    ex = executor_for(TargetConfig("10.1.1.6", "linux", secret={"username": "u", "password": "p"}), settings)
    assert isinstance(ex, SSHExecutor) and ex.port == 22
    assert ex.known_hosts.path == settings.state_dir / "known_hosts"


def test_factory_simulated_gets_simulated_host_of_its_platform(settings):
    target = target_for(TargetConfig("sim-1", "simulated", sim_platform="windows"), settings)
    assert isinstance(target.executor, SimulatedHost) and target.platform == "windows"
    assert target.labels == {"kind": "simulated"}


def test_factory_unknown_platform_refused(settings):
    with pytest.raises(SettingsError, match="unknown platform 'solaris'"):
        executor_for(TargetConfig("h", "solaris"), settings)


def test_factory_plain_winrm_port_needs_explicit_http(settings):
    with pytest.raises(SettingsError, match="plain http"):
        executor_for(TargetConfig("h", "windows", port=5985, secret={"username": "u", "password": "p"}), settings)


def test_factory_ssh_target_runs_on_real_server(settings, ssh_peer):
    row = {"host": "127.0.0.1", "platform": "linux", "port": ssh_peer.server.port}
    target = target_for(TargetConfig.from_row(row, {"username": "alice", "password": "alice-pw"}), settings)
    assert target.platform == "linux" and target.executor.run("echo via-factory", timeout=10).stdout == "via-factory\n"
    target.close()
    assert (settings.state_dir / "known_hosts").exists()


def test_factory_winrm_target_runs_on_wsman_server(settings, wsman):
    config = TargetConfig("127.0.0.1", "windows", port=wsman.port,
                          secret={"username": "Administrator", "password": "Passw0rd!"},
                          options={"transport": "basic", "scheme": "http", "allow_http": True})
    target = target_for(config, settings)
    assert target.executor.run("echo via-winrm", timeout=10).stdout == "via-winrm\n"
    target.close()
    assert wsman.actions()[-1] == "Delete"


def test_target_config_repr_hides_secret():
    assert "hunter2" not in repr(TargetConfig("h", "linux", secret={"username": "u", "password": "hunter2"}))
