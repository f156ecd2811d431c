"""Domain deployment: the DNS SRV record and the GPO startup script, sent over the real WinRM wire."""

from __future__ import annotations

import base64

import pytest

from agent.deploy._ps import ps_literal
from agent.deploy.dns_srv import SRV_NAME, SrvRecord, register_srv, srv_script
from agent.deploy.gpo import GpoDeployment, gpo_script, publish_gpo, startup_script
from agent.errors import DeployError
from agent.executors import winrm_scripts as ps
from agent.executors.winrm import WinRMExecutor
from tests.agent.deploy.dc_emulator import DomainController
from tests.agent.executors.wsman_server import WSManServer

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PKG = r"\\dc01\NETLOGON\osiris\osiris-agent-1.2.0.msi"


@pytest.fixture
def dc():
    """A WS-Management server whose host plays a domain controller; yields (emulator, server, executor)."""
    server = WSManServer().start()
    emulator = DomainController()
    server.responder = emulator
    executor = WinRMExecutor("127.0.0.1", server.port, username="Administrator", password="Passw0rd!",
                             transport="basic", scheme="http", allow_http=True, backoff_base=0.01)
    yield emulator, server, executor
    executor.close()
    server.stop()


def test_ps_literal_doubles_quotes_and_expands_nothing():
    assert ps_literal("it's $env:PATH") == "'it''s $env:PATH'"


@pytest.mark.parametrize("kw, message", [
    ({"zone": "clinic.local'; Remove-Item C:\\ -Recurse; '"}, "DNS zone"),
    ({"zone": "localhost"}, "DNS zone"),
    ({"target": "appliance"}, "SRV target"),
    ({"port": 0}, "port 0"),
    ({"port": 70000}, "port"),
    ({"weight": True}, "weight"),
])
def test_srv_record_bad_values_refused(kw, message):
    values = {"zone": "clinic.local", "target": "osiris-01.clinic.local", **kw}
    with pytest.raises(DeployError, match=message):
        SrvRecord(**values)


def test_srv_script_binds_quoted_values():
    script = srv_script(SrvRecord("clinic.local", "osiris-01.clinic.local.", port=50443))
    assert "$zone = 'clinic.local'" in script and "$target = 'osiris-01.clinic.local.'" in script
    assert f"$name = '{SRV_NAME}'" in script and "$port = 50443" in script


def test_register_srv_created_then_unchanged_then_updated_over_winrm(dc):
    emulator, server, executor = dc
    emulator.srv["clinic.local"] = [("osiris-02.clinic.local.", 50051, 0, 100)]  # another appliance's record
    record = SrvRecord("clinic.local", "osiris-01.clinic.local")
    first = register_srv(executor, record)
    assert first["action"] == "created" and first["others"] == 1
    assert register_srv(executor, record)["action"] == "unchanged"
    assert register_srv(executor, SrvRecord("clinic.local", "osiris-01.clinic.local", port=50443))["action"] == "updated"
    assert sorted(emulator.srv["clinic.local"]) == [("osiris-01.clinic.local.", 50443, 0, 100),
                                                     ("osiris-02.clinic.local.", 50051, 0, 100)]
    assert emulator.scripts[0] == srv_script(record)  # byte for byte, as the host received it
    assert {c.kind for c in server.commands} == {"inline"}


def test_publish_gpo_uploads_script_intact_and_is_idempotent(dc):
    emulator, server, executor = dc
    dep = GpoDeployment("clinic.local", PKG, SHA, "1.2.0", link_target="OU=Workstations,DC=clinic,DC=local")
    script = gpo_script(dep)
    assert ps.needs_upload(script)  # > 2 KB: travels through the chunked upload
    answer = publish_gpo(executor, dep)
    assert answer["action"] == "created" and answer["linked_to"] == "OU=Workstations,DC=clinic,DC=local"
    assert emulator.scripts == [script]
    kinds = [c.kind for c in server.commands]
    assert kinds[-2:] == ["run_file", "cleanup"] and kinds.count("chunk") >= 3
    assert max(len(c.line) for c in server.commands) < ps.CMD_LIMIT and list(server.temp_dir.iterdir()) == []
    assert publish_gpo(executor, dep)["action"] == "unchanged"
    newer = GpoDeployment("clinic.local", PKG.replace("1.2.0", "1.3.0"), SHA, "1.3.0",
                          link_target="OU=Workstations,DC=clinic,DC=local")
    assert publish_gpo(executor, newer)["action"] == "updated"
    assert emulator.gpos["Osiris Agent"]["startup"] == startup_script(newer)


def test_gpo_embeds_the_startup_script_verbatim():
    dep = GpoDeployment("clinic.local", PKG, SHA, "1.2.0")
    encoded = gpo_script(dep).split("FromBase64String('")[1].split("')")[0]
    assert base64.b64decode(encoded).decode() == startup_script(dep)


def test_startup_script_exits_early_and_checks_hash_before_installing():
    text = startup_script(GpoDeployment("clinic.local", PKG, SHA, "1.2.0"))
    assert text.index("if ($have -eq $want) { exit 0 }") < text.index("Copy-Item")
    assert text.index(f"$hash -ne '{SHA.upper()}'") < text.index("msiexec.exe")
    assert "OSIRIS_SRV=' + '_osiris-grpc._tcp.clinic.local'" in text


@pytest.mark.parametrize("kw, message", [
    ({"package_unc": "C:\\temp\\agent.msi"}, "UNC"),
    ({"package_unc": "\\\\dc01\\share\\agent.exe"}, "UNC"),
    ({"package_unc": "\\\\dc01\\share\\it's.msi"}, "UNC"),
    ({"package_sha256": "abc"}, "SHA-256"),
    ({"version": "latest"}, "version"),
    ({"gpo_name": "Osiris'; Remove-GPO -All; '"}, "GPO name"),
    ({"link_target": "OU=x'; evil,DC=clinic,DC=local"}, "distinguished name"),
    ({"domain": "CLINIC"}, "domain"),
])
def test_gpo_deployment_bad_values_refused(kw, message):
    values = {"domain": "clinic.local", "package_unc": PKG, "package_sha256": SHA, "version": "1.2.0", **kw}
    with pytest.raises(DeployError, match=message):
        GpoDeployment(**values)


def test_deploy_failure_on_dc_is_a_deploy_error_with_the_powershell_message(dc):
    emulator, _, executor = dc
    emulator.fail_with = ('#< CLIXML\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
                          '<S S="Error">Add-DnsServerResourceRecord : Access denied_x000D__x000A_</S></Objs>')
    with pytest.raises(DeployError, match="exit 1.*Add-DnsServerResourceRecord : Access denied"):
        register_srv(executor, SrvRecord("clinic.local", "osiris-01.clinic.local"))


@pytest.mark.parametrize("answer", [
    (0, "", ""), (0, "WARNING: zone is not AD-integrated\n", ""), (0, '{"status": "ok", "action": "exploded"}\n', ""),
    (0, '["ok"]\n', ""),
])
def test_deploy_unreadable_answer_is_a_deploy_error(dc, answer):
    _, server, executor = dc
    server.responder = lambda script: answer
    with pytest.raises(DeployError, match="not the expected JSON"):
        register_srv(executor, SrvRecord("clinic.local", "osiris-01.clinic.local"))


def test_deploy_executor_failure_is_a_deploy_error(dc):
    _, server, _ = dc
    bad = WinRMExecutor("127.0.0.1", server.port, username="Administrator", password="wrong", transport="basic",
                        scheme="http", allow_http=True)
    with pytest.raises(DeployError, match="ExecutorAuthError"):
        register_srv(bad, SrvRecord("clinic.local", "osiris-01.clinic.local"))
