"""Resources of the `flywheel` group: Postgres (lifecycle state, bundles) and the DuckDB warehouse
(staged history, mined candidates), both shared (see pipelines.resources). Thresholds and the
signing key path are run config on the assets (`assets.SynthesisConfig`, `GateRunConfig`,
`HealthConfig`, `BundleConfig`), tunable in the launchpad without a code change."""

from __future__ import annotations

from pipelines.resources import PostgresResource, WarehouseResource

__all__ = ["PostgresResource", "WarehouseResource"]
