"""Resources of the `marts` group: the warehouse and its publish folder (shared; see pipelines.resources)."""

from __future__ import annotations

from pipelines.resources import WarehouseResource

__all__ = ["WarehouseResource"]
