"""The `ingest` domain: telemetry from Central Command's Postgres into DuckDB raw and staging."""

from __future__ import annotations

from dagster import Definitions

from pipelines.ingest.assets import ASSETS
from pipelines.ingest.checks import CHECKS
from pipelines.ingest.schedules import JOBS, SCHEDULES, SENSORS
from pipelines.ingest.snapshots import ASSETS as SNAPSHOTS

defs = Definitions(assets=[*ASSETS, *SNAPSHOTS], asset_checks=CHECKS, jobs=JOBS, schedules=SCHEDULES, sensors=SENSORS)
