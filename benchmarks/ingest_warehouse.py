"""Postgres → DuckDB telemetry extraction: the Arrow path the pipelines use vs row-by-row baselines.

    .venv/bin/python benchmarks/ingest_warehouse.py [--rows 200000] [--baseline-rows 20000] [--rounds 3]

Prints one JSON object. Uses `DATABASE_URL` when set, else the embedded Postgres, in a scratch
database dropped afterwards. `check_results` rows shaped as Central Command stores them (typed
columns + the JSON payload) are seeded with COPY, then moved into DuckDB three ways, in this run:

- `arrow`: `warehouse.ingest.ingest_table` — COPY … TO STDOUT as CSV in 100k-row batches, parsed by
  polars against the catalog's types, one INSERT … SELECT per batch (what `raw_check_results` runs);
- `executemany`: asyncpg fetch, then DuckDB `executemany` with the rows (Python touches every row);
- `row_by_row`: asyncpg fetch, one DuckDB INSERT per row (the naive loop).

The two baselines run on the first `--baseline-rows` rows (they are slow); rates are per second.

Each figure is the best of `--rounds` (the machine is shared; the minimum is the least noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warehouse.duck import connect, get_cursor  # noqa: E402
from warehouse.ingest import ingest_table  # noqa: E402
from warehouse.migrate import apply_migrations  # noqa: E402
from warehouse.pg import database_url, with_database  # noqa: E402

CHECKS = ["firewall_status", "disk_encryption", "antivirus_status", "screen_lock", "password_policy",
          "audit_policy", "time_sync", "ssh_root_login"]
COLUMNS = ["event_id", "site_id", "host", "check_type", "platform", "status", "observed_at", "payload"]


def _rows(n: int, sites: list[uuid.UUID], seed: int = 7) -> list[tuple]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        site = sites[i % len(sites)]
        host = f"ws-{i % 997:03d}"
        check = CHECKS[i % len(CHECKS)]
        status = "pass" if rng.random() < 0.8 else "fail"
        at = start + timedelta(seconds=i * 7)
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        payload = json.dumps({"event_id": event_id, "site_id": str(site), "appliance_id": None, "host": host,
                              "check_type": check, "platform": "windows", "status": status,
                              "details": {"profile": "domain"}, "hipaa_controls": ["164.312(a)(1)"],
                              "observed_at": at.isoformat()})
        out.append((event_id, site, host, check, "windows", status, at, payload))
    return out


async def _seed(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        sites = [uuid.uuid4() for _ in range(20)]
        await conn.executemany("INSERT INTO sites (id, name) VALUES ($1, $2)", [(s, f"site {s}") for s in sites])
        data = _rows(rows, sites)
        for i in range(0, len(data), 50_000):
            await conn.copy_records_to_table("check_results", records=data[i:i + 50_000], columns=COLUMNS)
        await conn.execute("ANALYZE check_results")
    finally:
        await conn.close()


async def _fetch(url: str, limit: int) -> tuple[list[str], list[tuple]]:
    conn = await asyncpg.connect(url)
    try:
        records = await conn.fetch(
            "SELECT ingest_seq, event_id, site_id::text, appliance_id::text, host, check_type, platform, status,"
            " observed_at, payload::text, received_at FROM check_results ORDER BY ingest_seq LIMIT $1", limit)
        return list(records[0].keys()), [tuple(r) for r in records]
    finally:
        await conn.close()


def _baseline_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE raw.check_results_baseline (ingest_seq BIGINT, event_id VARCHAR, "
                "site_id VARCHAR, appliance_id VARCHAR, host VARCHAR, check_type VARCHAR, platform VARCHAR, "
                "status VARCHAR, observed_at TIMESTAMPTZ, payload VARCHAR, received_at TIMESTAMPTZ)")


def _arrow(url: str) -> tuple[float, int]:
    with connect(":memory:") as con:
        started = time.perf_counter()
        result = ingest_table(url, con, "check_results")
        return time.perf_counter() - started, result.new_rows


def _python(url: str, limit: int, many: bool) -> tuple[float, int]:
    insert = "INSERT INTO raw.check_results_baseline VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    with connect(":memory:") as con:
        _baseline_table(con)
        started = time.perf_counter()
        _, rows = asyncio.run(_fetch(url, limit))
        con.begin()
        if many:
            con.executemany(insert, rows)
        else:
            for row in rows:
                con.execute(insert, row)
        con.commit()
        elapsed = time.perf_counter() - started
        assert con.execute("SELECT count(*) FROM raw.check_results_baseline").fetchone()[0] == len(rows)
        return elapsed, len(rows)


def _best(fn, rounds: int) -> dict[str, float]:
    runs = [fn() for _ in range(rounds)]
    seconds, rows = min(runs)
    return {"rows": rows, "seconds": round(seconds, 4), "rows_per_s": round(rows / seconds)}


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    server = database_url()
    name = f"osiris_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = with_database(server, name)
    try:
        asyncio.run(apply_migrations(url))
        started = time.perf_counter()
        asyncio.run(_seed(url, args.rows))
        seeded = time.perf_counter() - started
        with connect(":memory:") as con:  # one-time imports (DuckDB pulls in pandas) stay out of the timings
            con.execute("SELECT ?", [1])
            get_cursor(con, "warm-up")
        arrow = _best(lambda: _arrow(url), args.rounds)
        many = _best(lambda: _python(url, args.baseline_rows, many=True), args.rounds)
        naive = _best(lambda: _python(url, args.baseline_rows, many=False), args.rounds)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(json.dumps({
        "benchmark": "ingest_warehouse",
        "table": "check_results",
        "rows": args.rows,
        "baseline_rows": args.baseline_rows,
        "seed_copy_seconds": round(seeded, 3),
        "arrow": arrow,
        "executemany": many,
        "row_by_row": naive,
        "speedup_vs_executemany": round(arrow["rows_per_s"] / many["rows_per_s"], 1),
        "speedup_vs_row_by_row": round(arrow["rows_per_s"] / naive["rows_per_s"], 1),
        "duckdb": duckdb.__version__,
    }))


if __name__ == "__main__":
    main()
