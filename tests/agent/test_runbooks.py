"""The shipped runbook catalog and builtin rules: complete, cited, parseable, and honest about gaps."""

from __future__ import annotations

import re
import subprocess

import pytest

from agent.runbooks import BUILTIN_RULES_FILE, builtin_rules, catalog, unruled_pairs
from contracts.runbooks import PHASES, render_script

CAT = catalog()
REQUIRED_CHECKS = {
    "firewall_status", "disk_encryption", "screen_lock", "audit_policy", "antivirus_status", "av_definitions",
    "windows_update_service", "smbv1_disabled", "rdp_nla", "password_policy", "account_lockout", "guest_account",
    "ssh_root_login", "ssh_password_auth", "automatic_updates", "time_sync",
}


def test_catalog_at_least_25_runbooks_both_platforms():
    assert len(CAT) >= 25
    assert len(CAT.for_platform("windows")) >= 12 and len(CAT.for_platform("linux")) >= 12
    assert REQUIRED_CHECKS <= set(CAT.check_types())


def test_catalog_one_runbook_per_check_type_and_platform():
    pairs = [(rb.check_type, rb.platform) for rb in CAT]
    assert len(pairs) == len(set(pairs))


def test_builtin_rules_validate_and_point_at_own_platform():
    for rule in builtin_rules():
        if rule.action == "escalate":
            continue  # the network rule: no runbook (below)
        rb = CAT.get(rule.runbook_id)
        probe = {"check_type": rb.check_type, "platform": rb.platform, "details": {}}
        assert rule.source == "builtin" and rule.evaluate(probe), rule.id
        other = {**probe, "platform": "linux" if rb.platform == "windows" else "windows"}
        assert not rule.evaluate(other), f"{rule.id} would send a {rb.platform} runbook to the other platform"


def test_builtin_network_rule_escalates_every_network_check_and_nothing_else():
    from agent.network_checks import CHECKS_BY_TYPE

    rules = builtin_rules()
    for check_type in CHECKS_BY_TYPE:
        rule = rules.match({"check_type": check_type, "platform": "network", "details": {}})
        assert rule is not None and rule.action == "escalate" and rule.runbook_id is None, check_type
    escalating = [r.id for r in rules if r.action != "execute_runbook"]
    assert escalating == ["L1-NETWORK-001"]
    for rb in CAT:  # no drift check of a managed host is escalated by it
        rule = rules.match({"check_type": rb.check_type, "platform": rb.platform, "details": {}})
        assert rule is None or rule.action == "execute_runbook", rb.id


def test_about_thirty_percent_of_checks_left_to_l2_as_documented():
    gaps = unruled_pairs()
    assert 0.25 <= len(gaps) / len(CAT) <= 0.35
    header = BUILTIN_RULES_FILE.read_text().split("\nrules:")[0]
    documented = set(re.findall(r"([a-z_]+)/(windows|linux)", header))
    assert documented == set(gaps)


@pytest.mark.parametrize("runbook_id", [rb.id for rb in CAT.for_platform("linux")])
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_linux_scripts_parse_in_posix_shells(runbook_id, shell):
    rb = CAT.get(runbook_id)
    params = {name: "x" for name, spec in rb.params_schema.items() if spec.required}
    params = {k: {"device": "/dev/sdb1", "key_file": "/etc/osiris/keys/k"}.get(k, v) for k, v in params.items()}
    for phase in PHASES:
        proc = subprocess.run([shell, "-n"], input=render_script(rb, phase, params), text=True, capture_output=True)
        assert proc.returncode == 0, f"{phase}: {proc.stderr}"


@pytest.mark.parametrize("runbook_id", [rb.id for rb in CAT.for_platform("windows")])
def test_windows_scripts_balanced_and_emit_the_protocol(runbook_id):
    # No PowerShell here: check what can be checked without one.
    rb = CAT.get(runbook_id)
    for phase in PHASES:
        script = rb.script(phase)
        stripped = re.sub(r"'[^']*'|\"[^\"]*\"", "", script)
        for open_, close in ("{}", "()", "[]"):
            assert stripped.count(open_) == stripped.count(close), f"{phase}: unbalanced {open_}{close}"
        assert "$ErrorActionPreference = 'Stop'" in script
        if phase != "remediate":
            assert "ConvertTo-Json -Compress" in script and "status" in script
    for name in rb.params_schema:
        assert f"$Param_{name}" in rb.remediate or f"$Param_{name}" in rb.check, name


def test_every_param_used_by_some_linux_script():
    for rb in CAT.for_platform("linux"):
        text = rb.check + rb.remediate + rb.verify
        for name in rb.params_schema:
            assert f"PARAM_{name.upper()}" in text, f"{rb.id} never uses {name}"


def test_every_runbook_has_examples_for_the_simulator():
    assert all(rb.examples for rb in CAT)
