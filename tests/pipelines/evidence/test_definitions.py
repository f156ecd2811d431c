"""The evidence domain joins the code location: its assets, checks, jobs and schedules."""

from __future__ import annotations

from pipelines.definitions import DOMAINS, defs


def test_evidence_group_assets_checks_jobs_schedules():
    repo = defs.get_repository_def()
    group = {k.to_user_string() for k, a in repo.assets_defs_by_key.items() if a.group_names_by_key[k] == "evidence"}
    assert "evidence" in DOMAINS
    assert group == {"evidence_batches", "evidence_stamps", "evidence_upgrades"}
    found = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_checks_defs_by_key}
    assert {("evidence_batches", "chain_verifies"), ("evidence_batches", "batch_roots_match"),
            ("evidence_stamps", "proofs_stamp_roots")} <= found
    crons = {s.name: s.cron_schedule for s in repo.schedule_defs}
    assert (crons["evidence_anchor"], crons["evidence_upgrade_hourly"]) == ("*/10 * * * *", "23 * * * *")
    upgrade = repo.get_job("evidence_upgrade_job")
    assert {k.to_user_string() for k in upgrade.asset_layer.executable_asset_keys} == {"evidence_upgrades"}
