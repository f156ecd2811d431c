"""Fixtures for the evidence tests: the real OTS examples, their headers, and a local calendar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.warehouse.evidence.calendar_server import LocalCalendar
from warehouse.evidence.headers import HeadersFile


@pytest.fixture(scope="session")
def ots_dir(shared_data: Path) -> Path:
    """shared/data/ots: the opentimestamps-client example proofs (read-only)."""
    return shared_data / "ots"


@pytest.fixture(scope="session")
def headers(ots_dir: Path) -> HeadersFile:
    """The one real mainnet header there is (height 358391)."""
    return HeadersFile.load(ots_dir / "block_headers.json")


@pytest.fixture()
def calendar() -> Iterator[LocalCalendar]:
    """A calendar server on 127.0.0.1 speaking the OpenTimestamps calendar protocol."""
    with LocalCalendar() as server:
        yield server
