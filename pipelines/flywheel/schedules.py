"""Jobs and schedules of the `flywheel` group: hourly, half an hour after the ingest run it learns from."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

flywheel_job = define_asset_job(
    "flywheel_job", selection=AssetSelection.groups("flywheel"),
    description="Mine staged L2 decisions, promote and demote rules, and sign the bundle if it changed.")

hourly_flywheel = ScheduleDefinition(name="flywheel_hourly", job=flywheel_job, cron_schedule="35 * * * *",
                                     execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING)

JOBS = [flywheel_job]
SCHEDULES = [hourly_flywheel]
