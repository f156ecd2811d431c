"""Scanner settings: off by default; arguments, then environment, then the config file's [scan] table."""

from __future__ import annotations

import pytest

from agent.errors import SettingsError
from agent.scanner.run import scan_due
from agent.scanner.settings import load_scan_settings


def test_scan_settings_scanning_off_by_default(monkeypatch):
    monkeypatch.delenv("NETWORK_RANGES", raising=False)
    settings = load_scan_settings()
    assert settings.network_ranges == "" and not settings.enabled
    assert scan_due(settings, store=None) is False  # off: the store is never consulted


def test_scan_settings_precedence_file_env_argument(tmp_path, monkeypatch):
    config = tmp_path / "agent.toml"
    config.write_text('[agent]\nsite_id = "s"\n[scan]\nnetwork_ranges = "192.168.5.0/24"\nscan_interval = 600\n')
    assert load_scan_settings(config).network_ranges == "192.168.5.0/24"
    monkeypatch.setenv("NETWORK_RANGES", "auto")
    monkeypatch.setenv("MSP_SCAN_INTERVAL", "120")
    settings = load_scan_settings(config)
    assert (settings.network_ranges, settings.scan_interval) == ("auto", 120.0)
    monkeypatch.setenv("MSP_NETWORK_RANGES", "10.1.1.0/24")  # the prefixed name wins over the bare one
    assert load_scan_settings(config).network_ranges == "10.1.1.0/24"
    assert load_scan_settings(config, network_ranges="127.0.0.1/32").network_ranges == "127.0.0.1/32"


def test_scan_settings_bad_values_raise_settings_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MSP_SCAN_MAX_PREFIX", "8")
    with pytest.raises(SettingsError, match="scan_max_prefix"):
        load_scan_settings()
    monkeypatch.delenv("MSP_SCAN_MAX_PREFIX")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scan\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_scan_settings(bad)
    with pytest.raises(SettingsError, match="cannot read"):
        load_scan_settings(tmp_path / "none.toml")
    (tmp_path / "x.toml").write_text('[scan]\nscan_colour = "red"\n')
    with pytest.raises(SettingsError, match="scan_colour"):
        load_scan_settings(tmp_path / "x.toml")
