"""Resources of the `ingest` group: Postgres to extract from and the warehouse to load into (shared;
see pipelines.resources)."""

from __future__ import annotations

from pipelines.resources import PostgresResource, WarehouseResource

__all__ = ["PostgresResource", "WarehouseResource"]
