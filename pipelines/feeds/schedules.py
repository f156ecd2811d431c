"""Jobs and schedules of the `feeds` group: NVD daily, the reference documents weekly."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.feeds.assets import check_controls, hipaa_crosswalk, nvd_cves, oscal_baselines, oscal_catalog

nvd_job = define_asset_job(
    "nvd_job", selection=AssetSelection.assets(nvd_cves).downstream(),
    description="Fetch NVD records modified since the cursor, then rebuild what depends on them.")
reference_job = define_asset_job(
    "reference_job",
    selection=AssetSelection.assets(oscal_catalog, oscal_baselines, hipaa_crosswalk, check_controls).downstream(),
    description="Reload the OSCAL catalog, baselines, HIPAA crosswalk and check map, then what depends on them.")

JOBS = [nvd_job, reference_job]
SCHEDULES = [
    ScheduleDefinition(name="nvd_daily", job=nvd_job, cron_schedule="17 3 * * *", execution_timezone="UTC",
                       default_status=DefaultScheduleStatus.RUNNING),
    ScheduleDefinition(name="reference_weekly", job=reference_job, cron_schedule="43 4 * * 0",
                       execution_timezone="UTC",
                       default_status=DefaultScheduleStatus.RUNNING),
]
