"""Schedules of the `marts` group: none of its own; marts are rebuilt by the jobs that refresh their
inputs (`ingest_job` hourly and on new telemetry, `nvd_job` daily, `reference_job` weekly)."""

JOBS: list = []
SCHEDULES: list = []
