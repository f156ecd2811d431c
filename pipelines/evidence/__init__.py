"""The `evidence` domain: Merkle batches of the per-site evidence chain, OpenTimestamps stamps and upgrades."""

from __future__ import annotations

from dagster import Definitions

from pipelines.evidence.assets import ASSETS
from pipelines.evidence.checks import CHECKS
from pipelines.evidence.schedules import JOBS, SCHEDULES

defs = Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=JOBS, schedules=SCHEDULES)
