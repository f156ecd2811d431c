"""L3 fixtures: a pool and a site (shared with the L2 tests), fast retry settings, escalation requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.telemetry import EscalationRequest
from serving.l2.catalog import load_runbooks
from serving.l3.settings import L3Settings
from tests.serving.l2.conftest import appliance, make_appliance, pool  # noqa: F401 - fixtures shared
from tests.serving.l3.receivers import TestPki, make_pki


def fast(**overrides) -> L3Settings:
    """Settings with millisecond backoff, so retries are real but quick; channels as given."""
    values = {"backoff_base_s": 0.001, "backoff_max_s": 0.01, "max_total_wait_s": 5.0, "max_attempts": 4,
              "http_timeout_s": 5.0}
    values.update(overrides)
    return L3Settings(**values)


def request(site_id, incident_id: str = "inc-0001", **kw) -> EscalationRequest:
    """An appliance's escalation: a Windows firewall drift L1 and L2 could not heal."""
    values = {"host": "pc-7", "check_type": "firewall_status", "severity": "critical",
              "reason": "L2 confidence 0.41 needs human review",
              "details": {"profile": "domain", "enabled": False, "rule_count": 0}}
    values.update(kw)
    return EscalationRequest(site_id=str(site_id), incident_id=incident_id, **values)


@pytest.fixture(scope="session")
def catalog():
    """The real runbook catalog (HIPAA citations per check type)."""
    return load_runbooks()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A test CA and a 127.0.0.1 server certificate."""
    return make_pki(Path(tmp_path_factory.mktemp("pki")))
