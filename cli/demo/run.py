"""The demo's story, step by step: a fleet with a past, a learning loop, and what it changed.

1. Start the embedded Postgres and the real Central Command (HTTP on 127.0.0.1), with a local
   stand-in for the Anthropic API so L2 runs its real provider path with nothing leaving the machine.
2. Provision one appliance per office and upload the fleet's history as telemetry.
3. "Before": the appliances (real agent code, simulated hosts) run for a few days.
4. The pipelines build the warehouse; the flywheel mines L2's record, gates and backtests
   candidates and ships the winners in shadow; appliances sync the signed bundle and record what the
   shadow rules would have done; the next rounds move them to canary sites, then fleet-wide.
5. "After": the same fleet runs again; L1 now heals what L2 used to plan.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cli.demo.fleet import Office, make_fleet

DEVICES_PER_SITE = 50
LIVE_DRIFT_RATE = 0.02
# Shadow and canary need live evidence; the demo compresses weeks into minutes, so it asks for three
# agreeing shadow matches and three canary heals instead of five. The promotion gate is untouched.
DEMO_LIFECYCLE = {"shadow_min_agreements": 3, "canary_min_successes": 3}
PERIOD_DAYS = {"before": 3, "trial": 2, "after": 3}
MAX_TRIAL_ROUNDS = 5


@dataclass
class Phase:
    """One step the user sees, with how long it took."""

    name: str
    seconds: float
    detail: str = ""


@dataclass
class DemoResult:
    """Everything the summary reports."""

    sites: int
    devices: int
    history_events: int
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    l2_calls_before: int = 0
    l2_calls_after: int = 0
    l2_spend_before: float = 0.0
    l2_spend_after: float = 0.0
    promoted: list[dict[str, Any]] = field(default_factory=list)
    bundle_version: int = 0
    promoted_heals: int = 0
    rules_that_healed: int = 0
    appliance_bundle_versions: list[int] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def share(counts: Counter, tier: str) -> float:
        """The share of incidents a tier handled."""
        total = sum(v for k, v in counts.items() if k.split(":")[0] in ("L1", "L2", "L3"))
        return round(sum(v for k, v in counts.items() if k.startswith(tier + ":")) / total, 4) if total else 0.0


def history_drift_rate(devices: int, days: int) -> float:
    """How often a check drifts per day in the generated history.

    A real fleet drifts on well under 1% of checks a day. A small or short history at that rate would
    give the flywheel too few decisions per pattern to clear the gate (a 95% Wilson lower bound of
    0.85 needs about 25 straight successes), so small demos get a more neglected fleet instead.
    """
    return min(0.12, max(0.004, 150.0 / max(devices * days, 1)))


DEMO_MARKER = ".osiris-demo"


def prepare_home(home: Path) -> None:
    """A fresh workspace: the same seed must give the same result, so nothing of a previous run stays.

    Only a directory the demo made itself (it holds the marker file) or an empty one is wiped, so a
    mistyped `--home` can never delete someone's files.
    """
    if home.exists():
        if not home.is_dir() or (any(home.iterdir()) and not (home / DEMO_MARKER).exists()):
            raise RuntimeError(f"{home} exists and is not a demo workspace; choose another --home")
        shutil.rmtree(home)
    home.mkdir(parents=True, mode=0o700)
    (home / DEMO_MARKER).write_text("made by `osiris demo`; the next demo run wipes this directory\n")
    os.environ["OSIRIS_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)  # the demo runs on the embedded default, always
    os.environ["DAGSTER_HOME"] = str(home / "dagster")


async def admin_token(database_url: str) -> str:
    """An admin token for provisioning (shown nowhere)."""
    import asyncpg

    from serving.services.auth import Role, create_token

    conn = await asyncpg.connect(database_url)
    try:
        return (await create_token(conn, Role.ADMIN, [], "osiris demo"))[1]
    finally:
        await conn.close()


def provision(url: str, token: str, offices: list[Office]) -> tuple[str, list[tuple[str, str]]]:
    """One site and one appliance per office; returns the server's public key and (site id, api key)s."""
    keys: list[tuple[str, str]] = []
    pubkey = ""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        for office in offices:
            site = client.post("/api/sites", json={"name": office.name})
            site.raise_for_status()
            site_id = site.json()["id"]
            prov = client.post(f"/api/sites/{site_id}/appliances", json={"name": f"appliance {office.name}"})
            prov.raise_for_status()
            keys.append((site_id, prov.json()["api_key"]))
            pubkey = prov.json()["signing_public_key"]
    return pubkey, keys


def upload_history(url: str, offices: list[Office], keys: list[tuple[str, str]], *, days: int, seed: int,
                   drift_rate: float, on_batch=None) -> int:
    """Send every office's past through the telemetry API (batches of 10,000, COPY on the server)."""
    from agent.runbooks import builtin_rules, catalog
    from cli.demo.history import history_events
    from contracts.telemetry import MAX_BATCH_EVENTS, TelemetryBatch

    end = datetime.now(UTC).replace(microsecond=0)
    sent = 0
    for office, (site_id, api_key) in zip(offices, keys, strict=True):
        events = list(history_events(office, site_id, days=days, end=end, seed=seed, catalog=catalog(),
                                     rules=builtin_rules(), drift_rate=drift_rate))
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=300) as client:
            for i in range(0, len(events), MAX_BATCH_EVENTS):
                body = TelemetryBatch(events=events[i:i + MAX_BATCH_EVENTS]).model_dump_json()
                reply = client.post("/api/agent/telemetry", content=body,
                                    headers={"content-type": "application/json"})
                if reply.status_code != 200:
                    raise RuntimeError(f"history upload refused: {reply.status_code} {reply.text[:200]}")
                sent += len(events[i:i + MAX_BATCH_EVENTS])
        if on_batch:
            on_batch(office)
    return sent


def materialize(groups: list[str], run_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the named asset groups in-process (recorded in DAGSTER_HOME for `dagster dev` to show)."""
    from dagster import AssetSelection, DagsterInstance
    from dagster import materialize as run

    from pipelines.dagster_home import use_dagster_home
    from pipelines.definitions import assets_and_checks
    from pipelines.resources import local_resources

    use_dagster_home()
    config = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    config.update(run_config or {})
    with DagsterInstance.get() as instance:
        result = run(assets_and_checks(), resources=local_resources(), instance=instance,
                     selection=AssetSelection.groups(*groups), raise_on_error=False, run_config=config)
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        what = failed[0].step_key if failed else "?"
        message = failed[0].event_specific_data.error.message.strip() if failed else "the run failed"
        raise RuntimeError(f"pipeline step {what} failed: {message.splitlines()[0]}")
    meta: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        meta[mat.asset_key.to_user_string()] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return meta


async def l2_spend(database_url: str, since: datetime) -> tuple[int, float]:
    """L2 calls Central Command planned since a moment, and what they cost."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        from warehouse.sql_files import sql

        row = await conn.fetchrow(sql("demo/l2_spend"), since)
        return int(row["n"]), float(row["cost"])
    finally:
        await conn.close()


async def promoted_heals(database_url: str) -> tuple[int, int]:
    """Verified L1 heals by promoted rules, and how many distinct promoted rules made them."""
    import asyncpg

    from warehouse.sql_files import sql

    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(sql("demo/promoted_heals"))
        return int(row["heals"]), int(row["rules"])
    finally:
        await conn.close()


async def promoted_rules(database_url: str) -> list[dict[str, Any]]:
    """The flywheel's rules with their stage and provenance."""
    import asyncpg

    from warehouse.flywheel import promoted_rules as rows

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        return [dict(r) for r in await rows(pool)]
    finally:
        await pool.close()


class Story:
    """Runs the demo's steps in order, reporting each to a `say(name, detail)` callback."""

    def __init__(self, *, sites: int, days: int, seed: int, home: Path, say):
        self.sites, self.days, self.seed, self.home, self.say = sites, days, seed, home, say
        self.result = DemoResult(sites=sites, devices=0, history_events=0)

    def _timed(self, name: str, fn, *args, **kwargs):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        self.result.phases.append(Phase(name, round(time.perf_counter() - start, 2)))
        return value

    def run(self) -> DemoResult:
        """The whole loop; returns what it showed."""
        from cli.demo.appliances import DemoFleet
        from cli.demo.central import start_central
        from cli.demo.llm_standin import STANDIN_KEY, LlmStandin
        from warehouse.migrate import apply_migrations
        from warehouse.pg import embedded_url

        prepare_home(self.home)
        result = self.result
        self.say("postgres", "starting the embedded Postgres and applying migrations")
        db = self._timed("postgres", embedded_url)
        self._timed("migrations", asyncio.run, apply_migrations(db))
        llm = LlmStandin(self.seed).start()
        os.environ.update({"ANTHROPIC_API_KEY": STANDIN_KEY, "OSIRIS_ANTHROPIC_BASE_URL": llm.base_url})
        self.say("central", "starting Central Command on 127.0.0.1")
        central = self._timed("central", start_central, db, str(self.home))
        fleet = None
        try:
            token = asyncio.run(admin_token(db))
            offices = make_fleet(self.sites, self.sites * DEVICES_PER_SITE, self.seed)
            result.devices = sum(len(o.devices) for o in offices)
            self.say("provision", f"{self.sites} offices, {result.devices} devices, one appliance each")
            pubkey, keys = self._timed("provision", provision, central.url, token, offices)
            drift = history_drift_rate(result.devices, self.days)
            self.say("history", f"uploading {self.days} days of history as telemetry")
            result.history_events = self._timed(
                "history", upload_history, central.url, offices, keys, days=self.days, seed=self.seed,
                drift_rate=drift)
            fleet = DemoFleet(central.url, pubkey, offices, keys, self.home / "appliances", seed=self.seed,
                              drift_rate=LIVE_DRIFT_RATE)
            result.before, result.l2_calls_before, result.l2_spend_before = self._period(fleet, db, "before")
            self.say("warehouse", "building the warehouse: ingest, NVD and OSCAL feeds, marts, flywheel")
            meta = self._timed("pipelines", materialize, ["ingest", "feeds", "marts", "flywheel"],
                               self._flywheel_config())
            result.extras["round_1"] = _round_summary(meta)
            # Shadow -> canary -> fleet: each round needs fresh field evidence, so the fleet runs a
            # little between rounds until no promoted rule is still on trial (or the rounds run out).
            for round_no in range(2, 2 + MAX_TRIAL_ROUNDS):
                on_trial = [r for r in asyncio.run(promoted_rules(db)) if r.get("status") in ("shadow", "canary")]
                if not on_trial:
                    break
                self._period(fleet, db, "trial")
                self.say("flywheel", f"round {round_no}: {len(on_trial)} rules on trial (shadow or canary)")
                meta = self._timed(f"flywheel-{round_no}", materialize, ["ingest", "flywheel"],
                                   self._flywheel_config())
                result.extras[f"round_{round_no}"] = _round_summary(meta)
            result.after, result.l2_calls_after, result.l2_spend_after = self._period(fleet, db, "after")
            fleet.drain()
            self.say("reports", "publishing the marts the reports read")
            self._timed("marts", materialize, ["ingest", "marts", "evidence"])
            from cli.demo.findings import compliance_by_site, evidence_state, top_cves

            names = {site_id: office.name for office, (site_id, _) in zip(offices, keys, strict=True)}
            result.extras["compliance"] = compliance_by_site(names)
            result.extras["top_cves"] = top_cves()
            result.extras["evidence"] = evidence_state()
            result.promoted = asyncio.run(promoted_rules(db))
            result.promoted_heals, result.rules_that_healed = asyncio.run(promoted_heals(db))
            result.bundle_version = _served_version(central.url, keys[0][1])
            result.appliance_bundle_versions = fleet.bundle_versions()
            return result
        finally:
            if fleet is not None:
                fleet.close()
            central.stop()
            llm.stop()

    def _flywheel_config(self) -> dict[str, Any]:
        return {"ops": {"flywheel_promotions": {"config": dict(DEMO_LIFECYCLE)}}}

    def _period(self, fleet, db: str, name: str) -> tuple[Counter, int, float]:
        days = PERIOD_DAYS[name]
        self.say(name, f"{name}: the appliances run {days} days")
        since = datetime.now(UTC)
        counts = self._timed(name, fleet.run, days)
        fleet.drain()
        calls, spend = asyncio.run(l2_spend(db, since))
        return counts, calls, spend


def _round_summary(meta: dict[str, Any]) -> dict[str, Any]:
    promotions = meta.get("flywheel_promotions", {})
    bundle = meta.get("rules_bundle", {})
    return {"candidates": promotions.get("candidates"), "passed_gate": promotions.get("passed_gate"),
            "transitions": promotions.get("transitions"), "bundle_version": bundle.get("version"),
            "bundle_published": bundle.get("published")}


def _served_version(url: str, api_key: str) -> int:
    """The bundle version Central Command serves, as an appliance's check-in reports it."""
    reply = httpx.post(url + "/api/appliances/checkin", headers={"Authorization": f"Bearer {api_key}"},
                       json={"hostname": "demo-summary", "agent_version": "demo"}, timeout=30)
    reply.raise_for_status()
    return int(reply.json().get("bundle_version") or 0)
