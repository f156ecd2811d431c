"""The `ingest` group materialized in-process against real Postgres and a temporary DuckDB: raw and
staging, idempotent re-runs, incremental pick-up, the sensor, and checks that fail with their rows."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from dagster import AssetCheckKey, AssetKey, AssetSelection, SensorResult, SkipReason, build_sensor_context

from pipelines.ingest.schedules import new_telemetry
from pipelines.resources import PostgresResource
from tests.pipelines.conftest import checks, metadata, offending
from tests.pipelines.seed import generate, write

TABLES = ("incidents", "l2_decisions", "healing_outcomes", "check_results", "device_scans", "software_inventory")


def _check(asset: str, name: str) -> AssetSelection:
    return AssetSelection.checks(AssetCheckKey(AssetKey(asset), name))


def _duck(resources: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(resources["warehouse"].path)


def test_ingest_group_loads_raw_and_staging_and_checks_pass(pg_url, resources, run):
    fleet = generate(sites=2, hosts=3, days=3)
    asyncio.run(write(pg_url, fleet))
    result = run(AssetSelection.groups("ingest"))
    for table in TABLES:
        meta = metadata(result, f"raw_{table}")
        assert meta["new_rows"] == meta["dagster/row_count"] == fleet.count(table)
        assert metadata(result, f"stg_{table}")["dagster/row_count"] == fleet.count(table)
    evaluations = checks(result)
    failing = {k for k, e in evaluations.items() if not e.passed}
    # Seeded telemetry is from November 2026's first days: only the freshness check may complain.
    assert failing <= {("stg_check_results", "sites_reporting")}
    expected = {(f"raw_{t}", n) for t in TABLES for n in ("unique_event_ids", "reconciles_with_postgres")}
    assert expected | {("stg_l2_decisions", "no_phi_in_l2_text"), ("stg_check_results", "sites_reporting")} \
        <= set(evaluations)
    with _duck(resources) as con:
        row = con.execute("SELECT status, hipaa_controls, observed_at FROM staging.check_results LIMIT 1").fetchone()
        ports = con.execute("SELECT open_ports FROM staging.device_scans WHERE host LIKE 'srv%' LIMIT 1").fetchone()
    assert row[0] in {"pass", "fail", "not_applicable", "error"}
    assert row[1] == ["164.312(a)(1)"] and row[2].tzinfo is not None
    assert {p["port"] for p in ports[0]} == {22, 443}


def test_ingest_group_rerun_adds_nothing(pg_url, resources, run):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=2)))
    first = run(AssetSelection.groups("ingest"))
    again = run(AssetSelection.groups("ingest"))
    for table in TABLES:
        assert metadata(again, f"raw_{table}")["new_rows"] == 0
        assert metadata(again, f"raw_{table}")["dagster/row_count"] == metadata(first, f"raw_{table}")["dagster/row_count"]
        assert metadata(again, f"stg_{table}")["dagster/row_count"] == metadata(first, f"stg_{table}")["dagster/row_count"]


def test_ingest_group_picks_up_rows_after_cursor(pg_url, resources, run):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=1, seed=1)))
    first = run(AssetSelection.groups("ingest"))
    later = generate(sites=1, hosts=2, days=2, seed=2)
    asyncio.run(write(pg_url, later))
    second = run(AssetSelection.groups("ingest"))
    meta = metadata(second, "raw_check_results")
    assert meta["new_rows"] == later.count("check_results")
    assert meta["cursor_before"] == metadata(first, "raw_check_results")["cursor_after"]
    assert metadata(second, "stg_check_results")["dagster/row_count"] == (
        metadata(first, "stg_check_results")["dagster/row_count"] + later.count("check_results"))


def test_unique_event_ids_check_lists_duplicates(pg_url, resources, run):
    asyncio.run(write(pg_url, generate(sites=1, hosts=1, days=1)))
    run(AssetSelection.assets("raw_check_results"))
    with _duck(resources) as con:
        event_id, seq = con.execute("SELECT event_id, ingest_seq FROM raw.check_results LIMIT 1").fetchone()
        con.execute("INSERT INTO raw.check_results SELECT * FROM raw.check_results WHERE event_id = ?", [event_id])
    key = ("raw_check_results", "unique_event_ids")
    evaluation = checks(run(_check(*key)))[key]
    assert not evaluation.passed
    assert offending(evaluation) == [{"event_id": event_id, "copies": 2, "ingest_seqs": [seq, seq]}]


def test_reconcile_check_lists_rows_missing_from_raw(pg_url, resources, run):
    asyncio.run(write(pg_url, generate(sites=1, hosts=2, days=2)))
    run(AssetSelection.assets("raw_check_results"))
    with _duck(resources) as con:
        con.execute("DELETE FROM raw.check_results WHERE ingest_seq IN (2, 5)")
    key = ("raw_check_results", "reconciles_with_postgres")
    evaluation = checks(run(_check(*key)))[key]
    assert not evaluation.passed
    assert offending(evaluation) == [{"ingest_seq": 2, "problem": "in Postgres, not in raw"},
                                     {"ingest_seq": 5, "problem": "in Postgres, not in raw"}]
    assert evaluation.metadata["postgres_rows"].value - evaluation.metadata["raw_rows"].value == 2


def test_no_phi_check_lists_decisions_but_not_their_text(pg_url, resources, run):
    leaked = "Patient Maria Gonzalez (DOB 03/14/1962, MRN 00482913) called about ws-01."
    fleet = generate(sites=2, hosts=4, days=4, reasoning=leaked)
    asyncio.run(write(pg_url, fleet))
    result = run(AssetSelection.assets("raw_l2_decisions", "stg_l2_decisions"))
    evaluation = checks(result)[("stg_l2_decisions", "no_phi_in_l2_text")]
    rows = offending(evaluation)
    assert not evaluation.passed and fleet.count("l2_decisions") > 0
    assert {r["decision_id"] for r in rows} == {r[0] for r in fleet.rows["l2_decisions"]}
    assert all({"person_name", "dob"} <= set(r["categories"]) and r["field"] == "reasoning" for r in rows)
    assert "Gonzalez" not in json.dumps(rows)


def test_no_phi_check_passes_scrubbed_text(pg_url, resources, run):
    asyncio.run(write(pg_url, generate(sites=1, hosts=4, days=4, reasoning="Re-enable firewall on [HOST_1].")))
    result = run(AssetSelection.assets("raw_l2_decisions", "stg_l2_decisions"))
    assert checks(result)[("stg_l2_decisions", "no_phi_in_l2_text")].passed


def test_sites_reporting_check_lists_silent_site(pg_url, resources, run):
    now = datetime.now(UTC)
    fresh = generate(sites=1, hosts=1, days=1, seed=3, start=now - timedelta(hours=2))
    stale = generate(sites=1, hosts=1, days=1, seed=4, start=now - timedelta(days=5))
    asyncio.run(write(pg_url, fresh))
    asyncio.run(write(pg_url, stale))
    result = run(AssetSelection.assets("raw_check_results", "stg_check_results"))
    evaluation = checks(result)[("stg_check_results", "sites_reporting")]
    assert not evaluation.passed
    assert [r["site_id"] for r in offending(evaluation)] == stale.sites


def test_sensor_requests_a_run_only_when_telemetry_moves(pg_url):
    postgres = PostgresResource(url=pg_url)
    first = new_telemetry(build_sensor_context(resources={"postgres": postgres}))
    assert isinstance(first, SkipReason)
    asyncio.run(write(pg_url, generate(sites=1, hosts=1, days=1)))
    moved = new_telemetry(build_sensor_context(resources={"postgres": postgres}))
    assert isinstance(moved, SensorResult) and len(moved.run_requests) == 1
    cursor = json.loads(moved.cursor)
    assert cursor["check_results"] > 0 and cursor["incidents"] >= 0
    quiet = new_telemetry(build_sensor_context(cursor=moved.cursor, resources={"postgres": postgres}))
    assert isinstance(quiet, SkipReason)


def test_sensor_skips_before_migrations(pg_server_url):
    from tests.conftest import _admin_execute
    from warehouse.pg import with_database

    name = f"osiris_bare_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(pg_server_url, f'CREATE DATABASE "{name}"'))
    try:
        result = new_telemetry(build_sensor_context(
            resources={"postgres": PostgresResource(url=with_database(pg_server_url, name))}))
    finally:
        asyncio.run(_admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    assert isinstance(result, SkipReason) and "migrations" in result.skip_message


def test_sensor_skips_when_postgres_unreachable():
    postgres = PostgresResource(url="postgresql://postgres@127.0.0.1:1/none")
    result = new_telemetry(build_sensor_context(resources={"postgres": postgres}))
    assert isinstance(result, SkipReason) and "unreachable" in result.skip_message

