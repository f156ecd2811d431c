"""Jobs and schedules of the `evidence` group: batch and stamp every 10 minutes, upgrade hourly."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

_UPGRADES = AssetSelection.assets("evidence_upgrades")

evidence_anchor_job = define_asset_job(
    "evidence_anchor_job", selection=AssetSelection.groups("evidence") - _UPGRADES,
    description="Batch new evidence bundles into Merkle trees and stamp the roots through the calendars.")
evidence_upgrade_job = define_asset_job(
    "evidence_upgrade_job", selection=_UPGRADES,
    description="Upgrade pending OpenTimestamps proofs to Bitcoin attestations.")

anchor_every_10_min = ScheduleDefinition(name="evidence_anchor", job=evidence_anchor_job, cron_schedule="*/10 * * * *",
                                         execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING)
upgrade_hourly = ScheduleDefinition(name="evidence_upgrade_hourly", job=evidence_upgrade_job,
                                    cron_schedule="23 * * * *", execution_timezone="UTC",
                                    default_status=DefaultScheduleStatus.RUNNING)

JOBS = [evidence_anchor_job, evidence_upgrade_job]
SCHEDULES = [anchor_every_10_min, upgrade_hourly]
