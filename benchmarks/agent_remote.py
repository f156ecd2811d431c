"""Remote execution and scanning on 127.0.0.1: SSH and WinRM per command, the chunked upload, nmap.

    .venv/bin/python benchmarks/agent_remote.py [--runs 20]

Prints one JSON object. The baseline, measured in the same run, is the same command through
`LocalExecutor` (a local `sh -c`), so the ratios say what the protocol adds over starting a shell.
The peers are the test servers (tests/agent/executors/): the in-process paramiko SSH server and the
WS-Management server, both on 127.0.0.1, and real listeners for nmap. Medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.executors.local import LocalExecutor  # noqa: E402
from agent.executors.ssh import SSHExecutor  # noqa: E402
from agent.executors.winrm import WinRMExecutor  # noqa: E402
from tests.agent.executors.ssh_server import SSHTestServer, User  # noqa: E402
from tests.agent.executors.wsman_server import WSManServer  # noqa: E402


def _median_ms(run, command: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run(command, timeout=60)
        times.append((time.perf_counter() - start) * 1000)
        assert result.exit_code == 0, result
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    out: dict[str, float | int | str] = {"runs": runs}
    out["local_ms"] = _median_ms(LocalExecutor().run, "echo hi", runs)

    ssh_server = SSHTestServer({"bench": User(password="pw")}).start()
    ssh = SSHExecutor("127.0.0.1", ssh_server.port, username="bench", password="pw",
                      known_hosts=Path(tempfile.mkdtemp()) / "known_hosts")
    start = time.perf_counter()
    ssh.run("true", timeout=30)
    out["ssh_first_command_ms"] = round((time.perf_counter() - start) * 1000, 2)
    out["ssh_ms"] = _median_ms(ssh.run, "echo hi", runs)
    out["ssh_sudo_ms"] = _median_ms(partial(ssh.run, sudo=True), "echo hi", runs)
    ssh.close()
    ssh_server.stop()

    wsman = WSManServer().start()
    winrm = WinRMExecutor("127.0.0.1", wsman.port, username="Administrator", password="Passw0rd!",
                          transport="basic", scheme="http", allow_http=True)
    out["winrm_ms"] = _median_ms(winrm.run, "echo hi", runs)
    long_script = "\n".join(f"echo line-{i}  # {'p' * 90}" for i in range(200))  # ~20 KB: chunked upload
    before = len(wsman.commands)
    out["winrm_upload_20kb_ms"] = _median_ms(winrm.run, long_script, max(3, runs // 4))
    out["winrm_upload_commands"] = (len(wsman.commands) - before) // max(3, runs // 4)
    winrm.close()
    wsman.stop()

    for key in ("ssh_ms", "ssh_sudo_ms", "winrm_ms", "winrm_upload_20kb_ms"):
        out[key.replace("_ms", "_vs_local")] = round(float(out[key]) / float(out["local_ms"]), 1)

    from agent.scanner.nmap_scan import NmapScanner
    from agent.scanner.ranges import ScopeGuard, parse_ranges
    from tests.agent.scanner.listeners import Listeners

    listeners = Listeners()
    guard = ScopeGuard(parse_ranges("127.0.0.1/32"))
    for label, detect in (("nmap_ports_s", False), ("nmap_sV_s", True)):
        scanner = NmapScanner(guard, tcp_ports=listeners.port_list(), udp_ports="", service_detection=detect,
                              resolve_names=False, scripts=())
        out[label] = scanner.scan(["127.0.0.1"]).elapsed_s
    out["nmap_ports"] = len(listeners.ports) + 1
    listeners.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
