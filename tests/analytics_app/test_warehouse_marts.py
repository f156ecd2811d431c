"""The reports on marts the real pipelines publish (real Postgres, DuckDB, reference data): the
warehouse's marts carry every column the reports require, and every page renders them."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetSelection, materialize

from analytics_app.schema import MARTS
from analytics_app.ui import PAGES
from pipelines.definitions import assets_and_checks
from tests.analytics_app.apptest import metric
from tests.pipelines.conftest import QUIET, make_resources, module_database
from tests.pipelines.seed import generate, write

pytestmark = pytest.mark.slow
WAREHOUSE_MARTS = [name for name, spec in MARTS.items() if spec.producer.startswith("warehouse (pipelines")]


@pytest.fixture(scope="module")
def published(pg_server_url: str, pg_template: str, shared_data: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Marts built by the real pipelines from a small seeded fleet (2 sites, 4 hosts, 9 days)."""
    with module_database(pg_server_url, pg_template) as url:
        asyncio.run(write(url, generate(sites=2, hosts=4, days=9)))
        folder = tmp_path_factory.mktemp("warehouse")
        materialize(assets_and_checks(), resources=make_resources(url, folder, shared_data), raise_on_error=True,
                    run_config=QUIET, selection=AssetSelection.groups("ingest", "feeds", "marts"))
        yield folder / "marts"


@pytest.mark.parametrize("name", WAREHOUSE_MARTS)
def test_warehouse_mart_has_required_columns(published, name):
    columns = pl.read_parquet_schema(published / f"{name}.parquet")
    assert [c for c in MARTS[name].required if c not in columns] == []


@pytest.mark.parametrize("page", [path for path, _, _ in PAGES])
def test_warehouse_marts_every_page_renders(published, home, open_page, page):
    shutil.copytree(published, home / "marts")
    at = open_page(page)
    assert not at.exception
    assert not at.error


def test_warehouse_marts_overview_rate_matches_mart(published, home, open_page):
    shutil.copytree(published, home / "marts")
    rates = pl.read_parquet(published / "compliance_rates.parquet")
    expected = rates["passed"].sum() / (rates["passed"].sum() + rates["failed"].sum())
    assert metric(open_page("pages/overview.py"), "Compliance rate") == f"{expected * 100:.1f}%"


def test_evidence_pipeline_marts_carry_report_columns():
    from pipelines.evidence.marts import ALIASES
    from pipelines.evidence.marts import MARTS as PUBLISHED
    from pipelines.evidence.transforms import BATCH_SCHEMA, CHAIN_SCHEMA

    assert "evidence_batches" in PUBLISHED and "evidence_bundles" in PUBLISHED
    assert "evidence_chain" in ALIASES["evidence_chain_status"]  # the name the reports read first
    for name, schema in (("evidence_batches", BATCH_SCHEMA), ("evidence_chain", CHAIN_SCHEMA)):
        spec = MARTS[name]
        assert [c for c in spec.required if c not in schema] == []
        assert {c: schema[c] for c in spec.columns if c in schema} == {c: spec.columns[c] for c in spec.columns
                                                                       if c in schema}
