"""Agent test fixtures: a live stub Central Command on 127.0.0.1 and agents wired to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.agent import Agent
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.runbooks import catalog
from agent.settings import AgentSettings
from tests.agent.central_stub import CentralState, LiveServer, build_app


@pytest.fixture(autouse=True)
def _no_msp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's MSP_* variables must not change what a test sees; NETWORK_RANGES (the scanner's
    # unprefixed name) least of all: an agent test must never scan anything it did not ask for.
    for name in list(os.environ):
        if name.startswith("MSP_") or name == "NETWORK_RANGES":
            monkeypatch.delenv(name)


@pytest.fixture
def central() -> Iterator[tuple[CentralState, LiveServer]]:
    """A running stub Central Command and its state."""
    state = CentralState()
    server = LiveServer(build_app(state)).start()
    yield state, server
    server.stop()


@pytest.fixture
def make_settings(tmp_path: Path, central) -> Callable[..., AgentSettings]:
    """Settings pointing at the stub, with a fresh state directory."""
    state, server = central

    def _make(**overrides) -> AgentSettings:
        values = dict(
            site_id=state.site_id, mcp_url=server.url, api_key=state.api_key, server_pubkey=state.public_key_text,
            state_dir=tmp_path / "agent", poll_interval=0, backoff_base=0.01, backoff_max=0.05, http_timeout=5,
        )
        values.update(overrides)
        return AgentSettings(**values)

    return _make


def sim(host: str, platform: str, **kw) -> Target:
    """A quiet simulated target (no random drift, failure or flap unless asked)."""
    rates = dict(drift_rate=0.0, failure_rate=0.0, flap_rate=0.0)
    rates.update(kw)
    return Target(host, platform, SimulatedHost(host, platform, catalog(), **rates))


@pytest.fixture
def make_agent(make_settings) -> Iterator[Callable[..., Agent]]:
    """Build agents on the stub; closed after the test."""
    made: list[Agent] = []

    def _make(targets: list[Target] | None = None, **overrides) -> Agent:
        agent = Agent(make_settings(**overrides), targets=targets if targets is not None else [])
        made.append(agent)
        return agent

    yield _make
    for agent in made:
        agent.close()
