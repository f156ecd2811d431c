"""The agent stays light: importing executors, scanner, checks and deploy loads no paramiko, winrm or nmap."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("paramiko", "winrm", "nmap", "requests", "requests_ntlm", "xmltodict", "cryptography")

PROBE = """
import json, sys
import agent.executors.ssh, agent.executors.winrm, agent.executors.factory, agent.executors.known_hosts
import agent.scanner.run, agent.scanner.nmap_scan, agent.scanner.settings, agent.network_checks
import agent.deploy.dns_srv, agent.deploy.gpo
print(json.dumps(sorted(m for m in sys.modules)))
"""


def test_remote_modules_import_without_their_libraries():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.splitlines()[-1])
    assert "agent.executors.ssh" in loaded and "agent.scanner.nmap_scan" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY) == []
