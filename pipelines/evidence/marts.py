"""Publishing the evidence marts: `evidence_batches`, `evidence_chain_status` (also published as
`evidence_chain`, the name the reports read) and `evidence_bundles`, loaded incrementally."""

from __future__ import annotations

from typing import Any

import asyncpg

from pipelines.evidence import store
from pipelines.evidence.transforms import BATCH_SCHEMA, BUNDLE_SCHEMA, CHAIN_SCHEMA, frame
from pipelines.resources import WarehouseResource
from warehouse.duck import count_rows, get_cursor, publish_parquet, replace_table, run_sql, set_cursor, upsert

BUNDLE_PAGE = 50_000
MARTS = ("evidence_batches", "evidence_chain_status", "evidence_bundles")
ALIASES = {"evidence_chain_status": ("evidence_chain",)}
_CURSOR = "evidence_chain"


async def read(conn: asyncpg.Connection, bundles_after: int | None) -> dict[str, Any]:
    """The batch and chain rows, and (when `bundles_after` is given) chained bundles stored since then."""
    out: dict[str, Any] = {"batches": await store.mart_rows(conn, "batches"),
                           "chain": await store.mart_rows(conn, "chain_status"), "bundles": []}
    if bundles_after is not None:
        while True:
            page = await store.mart_rows(conn, "bundles", bundles_after, BUNDLE_PAGE)
            out["bundles"] += page
            if len(page) < BUNDLE_PAGE:
                break
            bundles_after = page[-1]["ingest_seq"]
    return out


def bundle_cursor(warehouse: WarehouseResource) -> int:
    """The last Postgres `ingest_seq` of evidence loaded into the warehouse."""
    with warehouse.connect() as con:
        return get_cursor(con, _CURSOR)[0]


def publish(warehouse: WarehouseResource, rows: dict[str, Any]) -> dict[str, int]:
    """Replace the batch and chain marts, add new bundles, publish every evidence mart; row counts."""
    with warehouse.connect() as con:
        replace_table(con, "marts.evidence_batches", frame(rows["batches"], BATCH_SCHEMA))
        replace_table(con, "marts.evidence_chain_status", frame(rows["chain"], CHAIN_SCHEMA))
        new = frame(rows["bundles"], BUNDLE_SCHEMA)
        con.execute("BEGIN")
        upsert(con, "raw.evidence_chain", new, "bundle_id")
        if len(new):
            set_cursor(con, _CURSOR, int(new["ingest_seq"].max()))
        con.execute("COMMIT")
        run_sql(con, "evidence/duck_bundles_mart")
        counts = {}
        for name in MARTS:
            warehouse.publish(con, f"marts.{name}")
            counts[name] = count_rows(con, f"marts.{name}")
        for name, aliases in ALIASES.items():
            for alias in aliases:
                publish_parquet(con, f"marts.{name}", name=alias, directory=warehouse.marts_dir)
    return counts
