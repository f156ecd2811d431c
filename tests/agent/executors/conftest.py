"""Executor test peers: a real SSH server and a WS-Management server, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.agent.executors.ssh_server import SSHTestServer, User, ed25519_key


@dataclass
class SSHPeer:
    """The running server and the client key text its users accept."""

    server: SSHTestServer
    alice_key: str
    bob_key: str


@pytest.fixture
def ssh_peer() -> Iterator[SSHPeer]:
    """alice: password + key, sudo with her password; bob: key only, NOPASSWD sudo; carol: key only."""
    alice, alice_text = ed25519_key()
    bob, bob_text = ed25519_key()
    server = SSHTestServer({
        "alice": User(password="alice-pw", keys=[alice]),
        "bob": User(keys=[bob], nopasswd=True),
        "carol": User(keys=[bob], sudo_password="carol-sudo"),
    }).start()
    yield SSHPeer(server, alice_text, bob_text)
    server.stop()


@pytest.fixture
def wsman() -> Iterator:
    """A WS-Management server on 127.0.0.1 (plain http, Basic auth: Administrator / Passw0rd!)."""
    from tests.agent.executors.wsman_server import WSManServer

    server = WSManServer().start()
    yield server
    server.stop()


@pytest.fixture
def winrm_exec(wsman):
    """A WinRM executor for the `wsman` server, http explicitly allowed, fast backoff."""
    from agent.executors.winrm import WinRMExecutor

    made = []

    def _make(**kw):
        options = dict(username="Administrator", password="Passw0rd!", transport="basic", scheme="http",
                       allow_http=True, backoff_base=0.05, backoff_max=0.2, operation_timeout=2)
        options.update(kw)
        ex = WinRMExecutor("127.0.0.1", wsman.port, **options)
        made.append(ex)
        return ex

    yield _make
    for ex in made:
        ex.close()
