"""The `evidence` group in process: batching verified chain segments, stamping through a calendar on
127.0.0.1, upgrading once it confirms a (regtest) block, calendars that are down, and the marts."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import asyncpg
import polars as pl
import pytest

from contracts.evidence import merkle_root
from pipelines.evidence.resources import OtsCalendars
from tests.pipelines.conftest import checks, metadata, offending
from tests.pipelines.evidence.seed import seed, send_more
from tests.warehouse.evidence.calendar_server import LocalCalendar
from warehouse.evidence.headers import HeadersFile
from warehouse.evidence.verify import verify_ots

GROUP = ["evidence_batches", "evidence_stamps", "evidence_upgrades"]


def q(pg_url: str, statement: str, *args) -> list[dict]:
    async def _go():
        conn = await asyncpg.connect(pg_url)
        try:
            return [dict(r) for r in await conn.fetch(statement, *args)]
        finally:
            await conn.close()

    return asyncio.run(_go())


def _select(*names):
    from dagster import AssetSelection

    return AssetSelection.assets(*names) | AssetSelection.checks_for_assets(*names)


@pytest.fixture
def calendar():
    with LocalCalendar() as server:
        yield server


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: nothing listens there


def test_group_batches_stamps_and_upgrades_through_a_local_calendar(pg_url, run, resources, calendar, tmp_path):
    sites = seed(pg_url, sites=2, bundles=7)
    headers_file = tmp_path / "headers.json"
    headers_file.write_text("{}")
    cals = {"calendars": OtsCalendars(urls=[calendar.url], timeout=5, headers_file=str(headers_file),
                                      network="regtest")}
    first = run(_select(*GROUP), resources_override=cals)
    assert metadata(first, "evidence_batches")["bundles_batched"] == 14
    assert metadata(first, "evidence_stamps")["stamped"] == 2
    assert metadata(first, "evidence_upgrades")["still_pending"] == 2
    assert all(e.passed for e in checks(first).values())
    batches = q(pg_url, "SELECT * FROM evidence_batches ORDER BY site_id")
    assert [b["status"] for b in batches] == ["pending", "pending"] and all(b["calendars"] == [calendar.url]
                                                                           for b in batches)
    for b in batches:
        assert merkle_root([bytes.fromhex(x) for x in b["leaves"]]).hex() == b["root"] and b["leaf_count"] == 7
    headers_file.write_text(json.dumps(calendar.confirm()))
    second = run(_select("evidence_upgrades"), resources_override=cals)
    meta = metadata(second, "evidence_upgrades")
    assert (meta["confirmed"], meta["block_heights"]) == (2, [900000])
    confirmed = q(pg_url, "SELECT * FROM evidence_batches")
    assert {(b["status"], b["block_height"]) for b in confirmed} == {("confirmed", 900000)}
    assert all(b["block_time"].timestamp() == calendar.block_time - 600 for b in confirmed)
    proof = verify_ots(bytes(confirmed[0]["ots"]), HeadersFile.load(headers_file, network="regtest"),
                       digest=bytes.fromhex(confirmed[0]["root"]))
    assert proof.verified and proof.best.height == 900000
    marts = Path(resources["warehouse"].marts_dir)
    chain = pl.read_parquet(marts / "evidence_chain_status.parquet").sort("site_id")
    assert chain["bundles"].to_list() == [7, 7] and chain["confirmed"].to_list() == [1, 1]
    assert chain["chain_ok"].to_list() == [True, True] and chain["block_height"].to_list() == [900000, 900000]
    assert pl.read_parquet(marts / "evidence_chain.parquet").equals(chain)  # the name the reports read
    bundles = pl.read_parquet(marts / "evidence_bundles.parquet")
    assert bundles.height == 14 and set(bundles["anchor_status"]) == {"confirmed"}
    assert set(bundles["bundle_id"]) == {b for s in sites for b in s.bundle_ids}


def test_new_bundles_go_into_a_new_batch_continuing_the_chain(pg_url, run):
    (site,) = seed(pg_url, bundles=3)
    run(_select("evidence_batches"))
    again = run(_select("evidence_batches"))
    assert metadata(again, "evidence_batches")["bundles_batched"] == 0
    send_more(pg_url, site, 4)
    third = run(_select("evidence_batches"))
    assert metadata(third, "evidence_batches")["bundles_batched"] == 4
    rows = q(pg_url, "SELECT first_seq, last_seq FROM evidence_batches ORDER BY first_seq")
    assert [(r["first_seq"], r["last_seq"]) for r in rows] == [(0, 2), (3, 6)]


def test_batches_split_at_max_leaves(pg_url, resources, calendar):
    from dagster import materialize

    from pipelines.definitions import assets_and_checks
    from tests.pipelines.conftest import QUIET

    seed(pg_url, bundles=7)
    config = {**QUIET, "ops": {"evidence_batches": {"config": {"max_leaves": 3, "max_per_site": 100}}}}
    result = materialize(assets_and_checks(), resources=resources, selection=_select("evidence_batches"),
                         run_config=config)
    assert result.success
    rows = q(pg_url, "SELECT leaf_count, seqs FROM evidence_batches ORDER BY first_seq")
    assert [(r["leaf_count"], r["seqs"]) for r in rows] == [(3, [0, 1, 2]), (3, [3, 4, 5]), (1, [6])]
    assert all(e.passed for e in checks(result).values())


def test_altered_bundle_is_held_back_and_named(pg_url, run):
    (site,) = seed(pg_url, bundles=5)
    doc = json.loads(q(pg_url, "SELECT signed FROM evidence_bundles WHERE chain_seq = 2")[0]["signed"])
    doc["bundle"]["result"] = "pass" if doc["bundle"]["result"] == "fail" else "fail"
    q(pg_url, "UPDATE evidence_bundles SET signed = $1 WHERE chain_seq = 2", json.dumps(doc))
    result = run(_select("evidence_batches"))
    rows = q(pg_url, "SELECT seqs FROM evidence_batches")
    assert [r["seqs"] for r in rows] == [[0, 1]]  # the anchor never covers the altered bundle or what follows
    evaluation = checks(result)[("evidence_batches", "chain_verifies")]
    assert not evaluation.passed
    (row,) = offending(evaluation)
    assert row["site_id"] == str(site.site_id) and f"bundle {site.bundle_ids[2]} (seq 2) was altered" in row[
        "first_break"]


def test_calendar_down_is_recorded_and_retried_next_run(pg_url, run, calendar):
    seed(pg_url, sites=2, bundles=2)
    down = {"calendars": OtsCalendars(urls=[f"http://127.0.0.1:{_closed_port()}"], timeout=2)}
    result = run(_select("evidence_batches", "evidence_stamps"), resources_override=down)
    meta = metadata(result, "evidence_stamps")
    assert (meta["stamped"], meta["failed"], meta["deferred"]) == (0, 1, 1)
    rows = q(pg_url, "SELECT status, stamp_attempts, last_error FROM evidence_batches ORDER BY created_at, id")
    assert [r["status"] for r in rows] == ["unstamped", "unstamped"]
    assert rows[0]["stamp_attempts"] == 1 and "unreachable" in rows[0]["last_error"]
    up = {"calendars": OtsCalendars(urls=[calendar.url], timeout=5)}
    retried = run(_select("evidence_stamps"), resources_override=up)
    assert metadata(retried, "evidence_stamps")["stamped"] == 2
    assert {r["status"] for r in q(pg_url, "SELECT status FROM evidence_batches")} == {"pending"}


def test_calendar_answering_garbage_recorded(pg_url, run, calendar):
    seed(pg_url, bundles=2)
    calendar.behaviour = "garbage"
    result = run(_select("evidence_batches", "evidence_stamps"),
                 resources_override={"calendars": OtsCalendars(urls=[calendar.url], timeout=5)})
    assert metadata(result, "evidence_stamps")["failed"] == 1
    (row,) = q(pg_url, "SELECT status, last_error FROM evidence_batches")
    assert row["status"] == "unstamped" and "not a timestamp" in row["last_error"]


def test_stamping_disabled_without_calendars_says_so(pg_url, run, calendar):
    seed(pg_url, bundles=2)
    result = run(_select(*GROUP))
    assert metadata(result, "evidence_stamps")["calendars"].startswith("stamping disabled")
    assert q(pg_url, "SELECT status FROM evidence_batches") == [{"status": "unstamped"}]
    assert calendar.requests == []


def test_bundles_arriving_during_the_walk_wait_for_the_next_run(pg_url, run, monkeypatch):
    from pipelines.evidence import store as pipeline_store
    from tests.pipelines.evidence.seed import send
    from warehouse.pg import create_pool

    (site,) = seed(pg_url, bundles=3)
    original, arrived = pipeline_store.store.unbatched_page, []

    async def racing(conn, site_id, from_seq, limit):
        if not arrived:  # an appliance's batch commits after the walk read the head, before its first page
            arrived.append(True)
            pool = await create_pool(pg_url, min_size=1, max_size=1)
            try:
                await send(pool, site, 2)
            finally:
                await pool.close()
        return await original(conn, site_id, from_seq, limit)

    monkeypatch.setattr(pipeline_store.store, "unbatched_page", racing)
    first = run(_select("evidence_batches"))
    assert metadata(first, "evidence_batches")["bundles_batched"] == 3
    assert checks(first)[("evidence_batches", "chain_verifies")].passed
    second = run(_select("evidence_batches"))
    assert metadata(second, "evidence_batches")["bundles_batched"] == 2
