"""Fault: the NVD CVE API hangs, silent or dripping one header byte at a time.

What must hold: each try ends within the client's overall deadline, the tries are bounded, and the
caller gets the typed `NvdRetriesExhaustedError`.
"""

from __future__ import annotations

import time

import pytest

from tests.hardening.faults_hang import HangingServer
from warehouse.errors import NvdRetriesExhaustedError
from warehouse.feeds.nvd_client import NvdClient

pytestmark = pytest.mark.slow

MODES = ["silent", "drip"]
MARGIN = 2.0
"""Seconds allowed beyond a configured time: thread start-up, a loaded 2-core machine."""


@pytest.fixture
def hanging():
    with HangingServer() as server:
        yield server


# --- NVD API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_faults_hanging_nvd_page_retries_then_typed_error_bounded(hanging, mode):
    hanging.mode = mode
    with NvdClient(hanging.url, timeout=1.0, deadline=1.5, max_tries=2, backoff=0.1) as client:
        start = time.monotonic()
        with pytest.raises(NvdRetriesExhaustedError):
            client.get_page({})
        elapsed = time.monotonic() - start
    assert hanging.connections == 2 and elapsed < 2 * 1.5 + 0.1 + MARGIN, elapsed
