"""Jobs, schedules and sensors of the `ingest` group: hourly, and as soon as new telemetry lands."""

import asyncio
import json

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.resources import PostgresResource
from warehouse.errors import DatabaseUnavailableError, ExtractError
from warehouse.ingest import pg_max_seqs

ingest_job = define_asset_job(
    "ingest_job", selection=AssetSelection.groups("ingest", "marts"),
    description="Extract new telemetry from Postgres, stage it, and rebuild and publish the marts.")

hourly_ingest = ScheduleDefinition(name="ingest_hourly", job=ingest_job, cron_schedule="5 * * * *",
                                   execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING)


def new_rows(previous: dict[str, int], current: dict[str, int]) -> dict[str, int]:
    """Tables whose highest `ingest_seq` moved since the last look, with how far."""
    return {t: seq - previous.get(t, 0) for t, seq in current.items() if seq > previous.get(t, 0)}


@sensor(job=ingest_job, minimum_interval_seconds=120, default_status=DefaultSensorStatus.RUNNING,
        description="Requests an ingest run when any telemetry table has rows past the last seen ingest_seq.")
def new_telemetry(context: SensorEvaluationContext, postgres: PostgresResource) -> SensorResult | SkipReason:
    """Compare each table's max `ingest_seq` with the cursor; one run per change (keyed by the seqs)."""
    previous = json.loads(context.cursor) if context.cursor else {}
    try:
        current = asyncio.run(pg_max_seqs(postgres.dsn()))
    except DatabaseUnavailableError as exc:
        return SkipReason(f"Postgres unreachable: {exc}")
    except ExtractError as exc:
        return SkipReason(str(exc))
    moved = new_rows(previous, current)
    if not moved:
        return SkipReason("no new telemetry")
    key = ",".join(f"{t}:{current[t]}" for t in sorted(current))
    return SensorResult(run_requests=[RunRequest(run_key=key, tags={"osiris/new_rows": json.dumps(moved)})],
                        cursor=json.dumps(current))


JOBS = [ingest_job]
SCHEDULES = [hourly_ingest]
SENSORS = [new_telemetry]
