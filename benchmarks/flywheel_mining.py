"""Candidate mining over millions of verified L2 decisions: DuckDB (the pipeline) vs Postgres, one run.

    .venv/bin/python benchmarks/flywheel_mining.py [--rows 10000000] [--rounds 3]

Prints one JSON object. Both engines get identical rows (`flywheel/bench_decisions.sql`, integer
arithmetic only) and run the very same text, `flywheel/candidates.sql`: grouping by
(pattern_signature, runbook_id), counts, distinct sites, Wilson bounds, savings. Every candidate's
figures are compared across the engines, so a speed-up is never bought with a different answer.
Times are the minimum over the rounds (the machine is shared; the minimum is the least noisy
estimate). Postgres is `DATABASE_URL` or the embedded default, in a scratch database dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
import uuid

import asyncpg
import duckdb

from warehouse.pg import database_url, with_database
from warehouse.sql_files import sql


def _duckdb(rows: int, rounds: int) -> dict:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA flywheel")
    start = time.perf_counter()
    con.execute(sql("flywheel/bench_decisions").format(series=f"range(0, {rows}) t(i)"))
    generated = time.perf_counter() - start
    query, times, result = sql("flywheel/candidates"), [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = con.sql(query).fetchall()
        times.append(time.perf_counter() - start)
    assert con.execute("SELECT count(*) FROM flywheel.decisions").fetchone()[0] == rows
    con.close()
    return {"generate_s": generated, "times": times, "result": result}


async def _postgres(rows: int, rounds: int) -> dict:
    server = database_url()
    name = f"osiris_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(with_database(server, name), server_settings={"timezone": "UTC"})
        try:
            await conn.execute("CREATE SCHEMA flywheel")
            start = time.perf_counter()
            await conn.execute(sql("flywheel/bench_decisions").format(
                series=f"generate_series(0::bigint, {rows - 1}) AS t(i)"))
            await conn.execute("ANALYZE flywheel.decisions")
            generated = time.perf_counter() - start
            query, times, result = sql("flywheel/candidates"), [], None
            for _ in range(rounds):
                start = time.perf_counter()
                result = [tuple(r) for r in await conn.fetch(query)]
                times.append(time.perf_counter() - start)
            size = await conn.fetchval("SELECT pg_total_relation_size('flywheel.decisions')")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {"generate_s": generated, "times": times, "result": result, "table_bytes": size}


def _same(a: list[tuple], b: list[tuple]) -> int:
    """Rows compared field by field (floats to 1e-9 relative; Postgres numerics arrive as Decimal)."""
    assert len(a) == len(b), f"{len(a)} candidates in DuckDB, {len(b)} in Postgres"
    key = {(r[0], r[1]): r for r in b}
    for row in a:
        other = key[(row[0], row[1])]
        for x, y in zip(row, other, strict=True):
            if isinstance(x, float) or isinstance(y, float) or type(y).__name__ == "Decimal":
                assert x is None and y is None or math.isclose(float(x), float(y), rel_tol=1e-9), (row, other)
            else:
                assert x == y, (row, other)
    return len(a)


def main() -> None:
    """Run both engines over the same synthetic decisions and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    duck = _duckdb(args.rows, args.rounds)
    pg = asyncio.run(_postgres(args.rows, args.rounds))
    candidates = _same(duck["result"], pg["result"])
    best_duck, best_pg = min(duck["times"]), min(pg["times"])
    print(json.dumps({
        "benchmark": "flywheel_mining",
        "decisions": args.rows,
        "candidates": candidates,
        "rounds": args.rounds,
        "duckdb_s": round(best_duck, 3),
        "postgres_s": round(best_pg, 3),
        "postgres_over_duckdb": round(best_pg / best_duck, 2),
        "duckdb_decisions_per_s": round(args.rows / best_duck),
        "postgres_decisions_per_s": round(args.rows / best_pg),
        "duckdb_times_s": [round(t, 3) for t in duck["times"]],
        "postgres_times_s": [round(t, 3) for t in pg["times"]],
        "generate_duckdb_s": round(duck["generate_s"], 2),
        "generate_postgres_s": round(pg["generate_s"], 2),
        "postgres_table_mb": round(pg["table_bytes"] / 2**20),
        "same_answer": True,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # the machine is shared: say how busy it was
    }))


if __name__ == "__main__":
    main()
