"""Scanner fixtures: real listeners on 127.0.0.1 and one real nmap scan of them per test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.scanner.listeners import Listeners

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "scanner"


@pytest.fixture(scope="session")
def listeners() -> Iterator[Listeners]:
    """telnet, FTP, VNC, MySQL and HTTP listeners on free 127.0.0.1 ports (plus one closed port)."""
    opened = Listeners()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def loopback_report(listeners, tmp_path_factory):
    """One real `-sV` scan of 127.0.0.1, limited to the listeners' ports, through run_network_scan."""
    if shutil.which("nmap") is None:
        pytest.fail("nmap is not installed (apt-get install -y nmap; .ci/run does this)")
    from agent.scanner.run import run_network_scan, scanner_for
    from agent.scanner.settings import ScanSettings
    from agent.store import Store

    settings = ScanSettings(network_ranges="127.0.0.1/32", scan_tcp_ports=listeners.port_list(),
                            scan_udp_ports="", scan_resolve_names=False, scan_timeout=120)
    store = Store(tmp_path_factory.mktemp("scan") / "agent.db")
    report = run_network_scan(settings, store, site_id="site-1", scanner=scanner_for(settings),
                              targets=["127.0.0.1"])
    yield report, store
    store.close()


@pytest.fixture
def vector() -> callable:
    """The bytes of a vector file in tests/vectors/scanner/."""
    return lambda name: (VECTORS / name).read_bytes()
