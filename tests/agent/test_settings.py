"""Agent settings: MSP_ environment, TOML file, precedence, and the server keyring."""

from __future__ import annotations

import re

import nacl.signing
import pytest

from agent.errors import SettingsError
from agent.settings import AgentSettings, load_settings
from contracts.envelope import dump_verify_key, key_id


def test_settings_defaults_poll_sixty_seconds_not_dry_run():
    s = AgentSettings()
    assert s.poll_interval == 60 and s.dry_run is False and s.tls_verify is True


def test_settings_env_prefix_msp(monkeypatch):
    monkeypatch.setenv("MSP_SITE_ID", "site-9")
    monkeypatch.setenv("MSP_DRY_RUN", "true")
    monkeypatch.setenv("MSP_CHECK_TYPES", '["firewall_status"]')
    s = load_settings()
    assert s.site_id == "site-9" and s.dry_run is True and s.check_types == ["firewall_status"]


def test_settings_toml_file_below_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "agent.toml"
    cfg.write_text('[agent]\nsite_id = "from-file"\npoll_interval = 5\nmcp_url = "https://cc:8443"\n')
    monkeypatch.setenv("MSP_POLL_INTERVAL", "7")
    s = load_settings(cfg)
    assert (s.site_id, s.poll_interval, s.mcp_url) == ("from-file", 7.0, "https://cc:8443")
    assert load_settings(cfg, poll_interval=9).poll_interval == 9


def test_settings_msp_config_env_names_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "agent.toml"
    cfg.write_text('site_id = "via-env"\n')
    monkeypatch.setenv("MSP_CONFIG", str(cfg))
    assert load_settings().site_id == "via-env"


@pytest.mark.parametrize("text", ['site_id = "unterminated\n', "poll_interval = -1\n", "nope = 1\n"])
def test_settings_bad_file_raises_settings_error(tmp_path, text):
    cfg = tmp_path / "agent.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError):
        load_settings(cfg)


def test_settings_missing_file_raises_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "absent.toml")


def test_settings_require_central_names_every_missing_setting():
    with pytest.raises(SettingsError) as info:
        AgentSettings(site_id="s").require_central()
    assert "MSP_MCP_URL" in str(info.value) and "MSP_API_KEY" in str(info.value)
    assert "MSP_SITE_ID" not in str(info.value)


def test_settings_api_key_never_in_repr():
    assert "hunter2" not in repr(AgentSettings(api_key="hunter2"))


def test_settings_keyring_from_text_paths_and_several_keys(tmp_path):
    a, b = nacl.signing.SigningKey.generate(), nacl.signing.SigningKey.generate()
    text_a, text_b = dump_verify_key(a.verify_key), dump_verify_key(b.verify_key)
    (tmp_path / "a.pub").write_text(text_a)
    (tmp_path / "b.pub").write_text(text_b)
    ids = {key_id(a.verify_key), key_id(b.verify_key)}
    assert set(AgentSettings(server_pubkey=text_a + text_b).server_keyring().keys) == ids
    paths = f"{tmp_path / 'a.pub'},{tmp_path / 'b.pub'}"
    assert set(AgentSettings(server_pubkey=paths).server_keyring().keys) == ids


@pytest.mark.parametrize("value", ["-- osiris ed25519 public key --\nnot-base64!\n", "/nonexistent/key.pub", ""])
def test_settings_keyring_bad_value_raises_settings_error(value):
    with pytest.raises(SettingsError):
        AgentSettings(server_pubkey=value).server_keyring()


def test_settings_toml_agent_and_scan_tables_each_read_by_its_loader(tmp_path):
    from agent.scanner.settings import load_scan_settings

    cfg = tmp_path / "agent.toml"
    cfg.write_text('[agent]\nsite_id = "tables"\nwinrm_allow_http = true\n[scan]\nnetwork_ranges = "127.0.0.1/32"\n')
    s = load_settings(cfg)
    assert (s.site_id, s.winrm_allow_http, s.config_file) == ("tables", True, cfg)
    assert load_scan_settings(s.config_file).network_ranges == "127.0.0.1/32"
    flat = tmp_path / "flat.toml"
    flat.write_text('site_id = "flat"\n[scan]\nscan_interval = 60\n')  # top-level agent keys beside [scan]
    assert load_settings(flat).site_id == "flat" and load_scan_settings(flat).scan_interval == 60
    assert AgentSettings().config_file is None


@pytest.mark.parametrize(("text", "message"), [
    ('site_idd = "typo"\n[agent]\nsite_id = "s"\n', "site_idd outside the [agent] and [scan] tables"),
    ('agent = "s"\n', "'agent' must be a table"),
    ('[agent]\nnetwork_ranges = "auto"\n', "network_ranges"),  # a scan setting in the agent's table
])
def test_settings_toml_misplaced_key_raises_settings_error(tmp_path, text, message):
    cfg = tmp_path / "agent.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(cfg)


def test_settings_winrm_defaults_https_only_system_trust(monkeypatch):
    s = AgentSettings()
    assert (s.winrm_transport, s.winrm_allow_http, s.winrm_ca_bundle, s.winrm_retries) == (None, False, None, 3)
    monkeypatch.setenv("MSP_WINRM_TRANSPORT", "kerberos")
    monkeypatch.setenv("MSP_WINRM_ALLOW_HTTP", "true")
    s = load_settings()
    assert (s.winrm_transport, s.winrm_allow_http) == ("kerberos", True)
    monkeypatch.setenv("MSP_WINRM_TRANSPORT", "telnet")
    with pytest.raises(SettingsError, match="winrm_transport"):
        load_settings()
