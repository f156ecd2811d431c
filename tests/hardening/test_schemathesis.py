"""schemathesis against the live OpenAPI schema of a real `osiris serve`: every operation, every role.

For each role (admin, partner, auditor, appliance) and each operation the schema lists, bounded
positive and negative examples go over a real socket; a third of the examples name rows that
exist (that role's own site, appliance, order, ...), so handlers run past their lookups. Checks:
no 5xx, every status returned is one the schema declares, and every response matches its declared schema.
"""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.hardening.conftest import ROLES, SeededServer

pytestmark = pytest.mark.timeout(300)

EXAMPLES = 20
"""Examples per operation and role: bounded, so the four roles together stay well under two minutes."""
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(seeded_server: SeededServer):
    """The schema as the live server publishes it."""
    return schemathesis.openapi.from_url(seeded_server.base_url + "/openapi.json")


def _strategy(operation, real_ids: dict[str, str]):
    names = [p.name for p in operation.path_parameters]
    options = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if names and all(n in real_ids for n in names):
        options.append(operation.as_strategy(GenerationMode.POSITIVE,
                                             path_parameters={n: real_ids[n] for n in names}))
    return st.one_of(options)


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_every_operation_no_5xx_and_schema_conformance(seeded_server, api_schema, role):
    session = requests.Session()
    headers = seeded_server.headers(role)
    failures: list[str] = []
    calls = 0
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for result in api_schema.get_all_operations():
        operation = result.ok()

        # No shrinking: the first failing example is reported as it is, which keeps a run bounded.
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, seeded_server.ids[role]))
        def run(case):
            nonlocal calls
            calls += 1
            response = case.call(base_url=seeded_server.base_url, session=session, headers=headers, timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected: one run reports every failing operation
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
    print(f"schemathesis {role}: {calls} calls in {time.monotonic() - started:.1f} s, statuses {sorted(statuses.items())}")
    assert not failures, "\n\n".join(failures)


def test_openapi_every_operation_declares_its_errors(api_schema):
    # The one error handler answers 4xx / 503 as {"detail": ...}; the schema used to declare only a
    # 422 this app never sends, so every refusal was undocumented (status_code_conformance found it).
    raw = api_schema.raw_schema
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            for status in ("4XX", "503"):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_live_server_log_holds_no_secret(seeded_server):
    # Last in this module on purpose: by now the server has logged (at DEBUG) every request above.
    from tests.hardening.conftest import SEED_PASSWORD

    text = seeded_server.log_path.read_text(errors="replace")
    assert "GET /openapi.json" in text, "the server's log was captured"
    leaked = [role for role, secret in seeded_server.secrets.items() if secret in text]
    assert not leaked and SEED_PASSWORD not in text, f"secrets of {leaked} in serve.log"
