"""Pipeline fixtures: resources bound to a fresh real Postgres and a temporary DuckDB, and a runner
that materializes a selection in-process (fast: no subprocess per step)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetSelection, ExecuteInProcessResult, materialize

from pipelines.definitions import assets_and_checks
from pipelines.evidence.resources import OtsCalendars
from pipelines.feeds.resources import NvdFeed, ReferenceData
from pipelines.resources import PostgresResource, WarehouseResource
from tests.conftest import _admin_execute, _run

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
MINE = AssetSelection.groups("ingest", "feeds", "marts")
"""The groups these tests cover (other domains, like flywheel, have their own tests)."""


def make_resources(pg_url: str, folder: Path, shared_data: Path) -> dict[str, Any]:
    """Every resource the pipelines need, on one database and folder (reference data offline)."""
    return {
        "postgres": PostgresResource(url=pg_url),
        "warehouse": WarehouseResource(path=str(folder / "warehouse.duckdb"), marts_dir=str(folder / "marts")),
        "nvd": NvdFeed(files=[str(shared_data / "nvd" / "cves.jsonl")]),
        "reference": ReferenceData(oscal_dir=str(shared_data / "oscal"), hipaa_dir=str(shared_data / "hipaa")),
        "calendars": OtsCalendars(),  # stamping off: no calendar beyond 127.0.0.1, ever
    }


@contextmanager
def module_database(server_url: str, template: str) -> Iterator[str]:
    """A migrated database cloned from the session template, for fixtures wider than one test."""
    from warehouse.pg import with_database

    name = f"osiris_pm_{uuid.uuid4().hex[:12]}"
    _run(_admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield with_database(server_url, name)
    finally:
        _run(_admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def resources(pg_url: str, tmp_path: Path, shared_data: Path) -> dict[str, Any]:
    """Every resource the pipelines need, on this test's database and a temporary DuckDB."""
    return make_resources(pg_url, tmp_path, shared_data)


@pytest.fixture
def run(resources: dict[str, Any]) -> Callable[..., ExecuteInProcessResult]:
    """Materialize a selection (groups, assets or checks) with the test's resources."""

    def _run(selection: Any = MINE, *, resources_override: dict[str, Any] | None = None,
             expect_success: bool = True) -> ExecuteInProcessResult:
        result = materialize(assets_and_checks(), resources={**resources, **(resources_override or {})},
                             selection=selection, raise_on_error=False, run_config=QUIET)
        if expect_success and not result.success:
            failures = [e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure]
            pytest.fail("materialize failed:\n" + "\n".join(failures))
        return result

    return _run


def metadata(result: ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """An asset's materialization metadata as plain values."""
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"{asset} was not materialized")


def checks(result: ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    """Every check evaluation, keyed by (asset, check name)."""
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def offending(evaluation: Any) -> list[dict[str, Any]]:
    """The offending rows a check listed."""
    return evaluation.metadata["offending_rows"].value
