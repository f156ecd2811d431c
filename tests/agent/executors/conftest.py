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
