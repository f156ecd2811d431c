"""The flywheel group in-process on a real Postgres and DuckDB: the loop from L2 history to an active
rule and back out, each step a signed bundle version, and a re-run that changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from dagster import materialize

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring
from pipelines.flywheel.assets import ASSETS
from pipelines.flywheel.checks import CHECKS
from pipelines.ingest.assets import RAW, STAGING
from pipelines.resources import PostgresResource, WarehouseResource
from tests.pipelines.flywheel import pgseed
from warehouse import flywheel as state
from warehouse.bundles import current_bundle, load_or_create_signing_key

RB = "RB-WIN-BITLOCKER-001"
GOOD = {"protection": "off"}
TABLES = ("incidents", "l2_decisions", "healing_outcomes")


def db(pg_url: str, fn):
    async def _go():
        conn = await asyncpg.connect(pg_url)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(_go())


class Loop:
    """One Postgres + one DuckDB warehouse, and a way to run the flywheel over them."""

    def __init__(self, pg_url: str, tmp: Path):
        self.pg_url = pg_url
        self.resources = {"postgres": PostgresResource(url=pg_url),
                          "warehouse": WarehouseResource(path=str(tmp / "warehouse.duckdb"), marts_dir=str(tmp))}
        self.sites = pgseed.site_ids(3)

    def run(self):
        result = materialize([*(RAW[t] for t in TABLES), *(STAGING[t] for t in TABLES), *ASSETS, *CHECKS],
                             resources=self.resources)
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert [c.passed for c in checks] == [True], [c.metadata for c in checks]
        return result

    def snapshot(self):
        async def _read(conn):
            rules = await state.promoted_rules(conn)
            audit = await state.audit_trail(conn)
            bundle = await current_bundle(conn)
            candidates = await state.list_candidates(conn)
            return rules, audit, bundle, candidates

        return db(self.pg_url, _read)


def _promoted(bundle) -> list[dict]:
    return [r for r in bundle.rules if r["source"] == "promoted"]


@pytest.mark.slow
def test_flywheel_loop_shadow_canary_active_demoted(pg_url: str, tmp_path: Path) -> None:
    loop = Loop(pg_url, tmp_path)
    sites = loop.sites

    async def history(conn):
        await pgseed.add_sites(conn, sites)
        at = pgseed.START
        for i in range(40):  # reliable on three sites (one failure)
            await pgseed.add_l2(conn, sites[i % 3], "disk_encryption", "windows", GOOD, RB, i != 17, at + timedelta(hours=i))
        for i in range(8):  # the same runbook fails where there is no TPM
            await pgseed.add_l2(conn, sites[i % 3], "disk_encryption", "windows", {**GOOD, "tpm": "absent"}, RB, False,
                                at + timedelta(hours=50 + i))
        for i in range(30):  # 60 % is not good enough
            await pgseed.add_l2(conn, sites[i % 3], "smb_signing", "windows", {}, "RB-WIN-SMB-001", i % 5 < 3,
                                at + timedelta(hours=i))
        for i in range(30):  # one site is not a pattern
            await pgseed.add_l2(conn, sites[0], "log_retention", "linux", {}, "RB-LNX-JOURNALD-001", True,
                                at + timedelta(hours=i))

    db(pg_url, history)
    loop.run()
    rules, audit, bundle, candidates = loop.snapshot()
    verdicts = {c["runbook_id"]: c["verdict"] for c in candidates if c["n"] >= 30}
    assert verdicts == {RB: "live", "RB-WIN-SMB-001": "reject", "RB-LNX-JOURNALD-001": "reject"}
    [rule] = rules
    assert (rule["status"], rule["runbook_id"], rule["source"]) == ("shadow", RB, "promoted")
    assert rule["rule_id"].startswith("L1-AUTO-")
    assert rule["rule"]["conditions"][-1] == {"field": "details.tpm", "operator": "ne", "value": "absent"}
    prov = rule["provenance"]
    assert (prov["n"], prov["successes"], prov["sites"], prov["shadow_agreement"]) == (40, 39, 3, None)
    assert bundle.version == 1
    [shipped] = _promoted(bundle.bundle)
    assert (shipped["id"], shipped["status"], shipped["sites"]) == (rule["rule_id"], "shadow", None)
    assert [(a["to_status"], a["bundle_version"]) for a in audit] == [("shadow", 1)]

    # No new evidence: nothing moves, no new bundle version, no new audit record.
    loop.run()
    again = loop.snapshot()
    assert again[2].version == 1 and len(again[1]) == 1 and again[0][0]["status"] == "shadow"
    assert [c["evaluated_at"] for c in again[3]] == [c["evaluated_at"] for c in candidates]

    rule_id = rule["rule_id"]

    async def shadow_agrees(conn):
        for i in range(7):  # L2 still decides; the shadow rule would have picked the same runbook, and it healed
            site = sites[0] if i < 4 else sites[1] if i < 6 else sites[2]
            inc = await pgseed.add_l2(conn, site, "disk_encryption", "windows", GOOD, RB, True,
                                      pgseed.START + timedelta(days=5, hours=i))
            await pgseed.add_shadow_match(conn, inc, rule_id, RB)

    db(pg_url, shadow_agrees)
    loop.run()
    rules, audit, bundle, _ = loop.snapshot()
    assert (rules[0]["status"], rules[0]["sites"]) == ("canary", [sites[0], sites[1]])
    assert rules[0]["provenance"]["shadow_agreement"] == 1.0
    assert bundle.version == 2
    [shipped] = _promoted(bundle.bundle)
    assert (shipped["status"], shipped["sites"]) == ("active", [sites[0], sites[1]])

    async def canary_heals(conn):
        for i in range(6):
            await pgseed.add_l1(conn, sites[i % 2], "disk_encryption", "windows", GOOD, rule_id, RB, True,
                                pgseed.START + timedelta(days=6, hours=i))

    db(pg_url, canary_heals)
    loop.run()
    rules, audit, bundle, _ = loop.snapshot()
    assert (rules[0]["status"], rules[0]["sites"], bundle.version) == ("active", None, 3)
    assert _promoted(bundle.bundle)[0]["sites"] is None

    async def starts_failing(conn):
        for i in range(20):
            await pgseed.add_l1(conn, sites[i % 3], "disk_encryption", "windows", GOOD, rule_id, RB, i % 4 == 0,
                                pgseed.START + timedelta(days=7, hours=i))

    db(pg_url, starts_failing)
    loop.run()
    rules, audit, bundle, _ = loop.snapshot()
    assert rules[0]["status"] == "demoted"
    assert rules[0]["reason"].startswith("L1 healed 11/26: Wilson upper bound")
    assert bundle.version == 4 and _promoted(bundle.bundle) == []
    assert [(a["to_status"], a["bundle_version"]) for a in audit] == [
        ("demoted", 4), ("active", 3), ("canary", 2), ("shadow", 1)]
    # The served bundle verifies with Central Command's own key, as an appliance would check it.
    key = load_or_create_signing_key()
    assert verify_bundle(bundle.envelope, Keyring.of(key.verify_key)).version == 4

    # Demotion sticks: the L2 evidence that promoted it does not promote it again.
    loop.run()
    rules, audit, bundle, _ = loop.snapshot()
    assert (rules[0]["status"], bundle.version, len(audit)) == ("demoted", 4, 4)


def test_flywheel_before_any_ingest_finds_nothing_and_publishes_builtin(pg_url: str, tmp_path: Path) -> None:
    loop = Loop(pg_url, tmp_path)
    result = materialize([*ASSETS, *CHECKS], resources=loop.resources)
    assert result.success
    rules, audit, bundle, candidates = loop.snapshot()
    assert (rules, audit, candidates) == ([], [], [])
    assert bundle.version == 1 and _promoted(bundle.bundle) == [] and bundle.bundle.rules == state.builtin_rules()
