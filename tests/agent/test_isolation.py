"""The agent stays small: importing all of it loads no serving, pipelines or analytics stack."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("serving", "pipelines", "analytics_app", "dagster", "streamlit", "polars", "duckdb", "sklearn",
             "warehouse", "fastapi", "asyncpg")

PROBE = """
import importlib, json, pkgutil, sys
import agent
for mod in pkgutil.walk_packages(agent.__path__, "agent."):
    importlib.import_module(mod.name)
import cli.agent
from agent.runbooks import catalog, builtin_rules
catalog(); builtin_rules()
print(json.dumps(sorted(m for m in sys.modules)))
"""


def test_import_agent_loads_no_forbidden_module():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.splitlines()[-1])
    assert "agent.agent" in loaded and "agent.executors.simulated" in loaded
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert bad == []


REMOTE = ("paramiko", "winrm", "nmap")

CYCLE_PROBE = """
import json, sys
import agent.agent, agent.netscan, agent.targets, cli.agent
print(json.dumps(sorted(m for m in sys.modules)))
"""


def test_import_agent_cycle_loads_no_remote_or_scan_library():
    # The cycle wires in real targets and the scanner; their libraries load only when a target runs or a scan is due.
    out = subprocess.run([sys.executable, "-c", CYCLE_PROBE], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.splitlines()[-1])
    assert "agent.netscan" in loaded and "agent.scanner.run" in loaded and "agent.executors.factory" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in REMOTE) == []
