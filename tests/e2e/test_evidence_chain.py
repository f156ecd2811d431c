"""The evidence chain end to end, every part real: an appliance agent signs a bundle per check run and per
heal and sends them to `osiris serve`, which verifies and chains them; the Dagster evidence group
batches and stamps the roots through a calendar on 127.0.0.1 and upgrades them once it confirms a
(regtest) block; an auditor watches it live on the WebSocket, exports the package with `osiris evidence
export` and verifies it offline with `osiris evidence verify`. Then a bundle is deleted and another
altered in the database: the chain status names both, and the verifier refuses the new export."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from dagster import AssetSelection, materialize
from websockets.sync.client import connect

from agent.agent import Agent
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost
from agent.runbooks import catalog
from agent.settings import AgentSettings
from pipelines.definitions import assets_and_checks
from pipelines.evidence.resources import OtsCalendars
from pipelines.feeds.resources import NvdFeed, ReferenceData
from pipelines.resources import PostgresResource, WarehouseResource
from tests.agent.live_central import RealCentral
from tests.conftest import osiris_cmd
from tests.warehouse.evidence.calendar_server import LocalCalendar

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _sql(pg_url: str, statement: str, *args):
    async def _go():
        conn = await asyncpg.connect(pg_url)
        try:
            return [dict(r) for r in await conn.fetch(statement, *args)]
        finally:
            await conn.close()

    return asyncio.run(_go())


class Listener:
    """An auditor's WebSocket on the evidence stream, collecting messages in a thread."""

    def __init__(self, url: str):
        self.url = url
        self.messages: list[dict] = []

    def __enter__(self) -> Listener:
        self._socket = connect(self.url, open_timeout=30)
        self.ws = self._socket.__enter__()
        self.hello = json.loads(self.ws.recv(timeout=30))
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.__exit__(*exc)

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.messages.append(json.loads(raw))
        except Exception:  # noqa: BLE001 - the socket closed at the end of the test
            pass

    def wait_for(self, kind: str, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages if m["type"] == kind]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(found)} {kind} messages, expected {count}")


def _osiris(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*osiris_cmd(), *map(str, args)], env=env, capture_output=True, text=True, timeout=120)


def _resources(pg_url: str, folder: Path, shared_data: Path, calendar: LocalCalendar, headers: Path) -> dict:
    return {"postgres": PostgresResource(url=pg_url),
            "warehouse": WarehouseResource(path=str(folder / "warehouse.duckdb"), marts_dir=str(folder / "marts")),
            "nvd": NvdFeed(files=[str(shared_data / "nvd" / "cves.jsonl")]),
            "reference": ReferenceData(oscal_dir=str(shared_data / "oscal"), hipaa_dir=str(shared_data / "hipaa")),
            "calendars": OtsCalendars(urls=[calendar.url], timeout=5, headers_file=str(headers), network="regtest")}


def _evidence(resources: dict, *names: str) -> None:
    selection = AssetSelection.assets(*names) | AssetSelection.checks_for_assets(*names)
    result = materialize(assets_and_checks(), resources=resources, selection=selection, run_config=QUIET)
    assert result.success and all(e.passed for e in result.get_asset_check_evaluations())


def test_evidence_chain_end_to_end(pg_url, tmp_path, shared_data):
    central = RealCentral(pg_url, tmp_path / "cc").start()
    try:
        with LocalCalendar() as calendar:
            _run(central, calendar, pg_url, tmp_path, shared_data)
    finally:
        central.stop()


def _run(central: RealCentral, calendar: LocalCalendar, pg_url: str, tmp_path: Path, shared_data: Path) -> None:
    provisioned = central.provision()
    site = provisioned["site_id"]
    auditor = _osiris(central.env, "tokens", "create", "--role", "auditor").stdout.strip().splitlines()[-1]
    with Listener(f"ws://127.0.0.1:{central.port}/api/evidence/stream?site_id={site}&token={auditor}") as listener:
        assert listener.hello["role"] == "auditor"
        _chain(central, calendar, pg_url, tmp_path, shared_data, provisioned, listener)


def _chain(central: RealCentral, calendar: LocalCalendar, pg_url: str, tmp_path: Path, shared_data: Path,
           provisioned: dict, listener: Listener) -> None:
    site = provisioned["site_id"]

    # --- the appliance: two cycles, one drift healed -----------------------------------------------
    host = SimulatedHost("ws-01", "windows", catalog(), drift_rate=0, failure_rate=0, flap_rate=0)
    settings = AgentSettings(site_id=site, mcp_url=central.url, api_key=provisioned["api_key"],
                             server_pubkey=provisioned["signing_public_key"], state_dir=tmp_path / "agent",
                             poll_interval=0, http_timeout=10)
    agent = Agent(settings, targets=[Target("ws-01", "windows", host)])
    try:
        host.drift("firewall_status")
        first = agent.cycle()
        between = datetime.now(UTC)
        time.sleep(0.01)
        second = agent.cycle()
    finally:
        agent.close()
    assert first.outcomes == {"L1:healed": 1} and first.outbox_depth == second.outbox_depth == 0
    total = first.checks + second.checks + 1  # every check run, and the heal
    announced = listener.wait_for("bundle", total)
    assert [m["seq"] for m in announced] == list(range(total))
    assert [m["result"] for m in announced if m["kind"] == "heal"] == ["healed"]

    # --- Central Command chained them; the pipelines batch, stamp, and later upgrade ------------------
    headers = tmp_path / "headers.json"
    headers.write_text("{}")
    resources = _resources(pg_url, tmp_path / "wh", shared_data, calendar, headers)
    _evidence(resources, "evidence_batches", "evidence_stamps", "evidence_upgrades")
    assert _sql(pg_url, "SELECT status FROM evidence_batches") == [{"status": "pending"}]
    headers.write_text(json.dumps(calendar.confirm()))
    _evidence(resources, "evidence_upgrades")
    (anchor,) = listener.wait_for("anchor", 1)
    assert (anchor["site_id"], anchor["bundles"], anchor["block_height"]) == (site, total, 900000)

    admin = {"Authorization": f"Bearer {central.admin}"}
    status = httpx.get(f"{central.url}/api/sites/{site}/evidence/chain", headers=admin, timeout=30).json()
    assert (status["length"], status["intact"], status["verified_up_to"]) == (total, True, total - 1)
    assert (status["batches"]["confirmed"], status["batches"]["confirmed_up_to"]) == (1, total - 1)

    # --- the auditor's package, exported and verified offline ----------------------------------------
    package = tmp_path / "package"
    out = _osiris(central.env, "evidence", "export", "--site", site, "--out", package)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert (summary["bundles"], summary["confirmed"], summary["keys"]) == (total, 1, 1)
    verified = _osiris(central.env, "evidence", "verify", package, "--headers", headers, "--network", "regtest",
                       "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout.strip().splitlines()[-1])["counts"] == {"verified": total}
    tail = _osiris(central.env, "evidence", "export", "--site", site, "--since", between.isoformat(),
                   "--out", tmp_path / "tail", "--json")
    first_seq = json.loads(tail.stdout.strip().splitlines()[-1])["first_seq"]
    assert first_seq == first.checks + 1  # the second cycle's bundles, anchored to the one before
    assert _osiris(central.env, "evidence", "verify", tmp_path / "tail", "--headers", headers, "--network",
                   "regtest").returncode == 0

    # --- someone deletes one bundle and alters another in the database --------------------------------
    rows = _sql(pg_url, "SELECT chain_seq, bundle_id, signed FROM evidence_bundles WHERE chain_seq IN (3, 7) "
                        "ORDER BY chain_seq")
    deleted, altered = rows
    doc = json.loads(altered["signed"])
    doc["bundle"]["result"] = "pass" if doc["bundle"]["result"] != "pass" else "fail"
    _sql(pg_url, "DELETE FROM evidence_bundles WHERE chain_seq = 3")
    _sql(pg_url, "UPDATE evidence_bundles SET signed = $1 WHERE chain_seq = 7", json.dumps(doc))
    status = httpx.get(f"{central.url}/api/sites/{site}/evidence/chain", headers=admin, timeout=30).json()
    named = {(b["kind"], b["bundle_id"]) for b in status["breaks"]}
    assert ("altered", altered["bundle_id"]) in named and status["verified_up_to"] == 2
    (gap,) = [b for b in status["breaks"] if b["kind"] == "gap"]
    assert gap["missing"][0]["bundle_id"] == deleted["bundle_id"]  # named from the batch that recorded it
    broken = tmp_path / "broken"
    assert _osiris(central.env, "evidence", "export", "--site", site, "--out", broken).returncode == 0
    refused = _osiris(central.env, "evidence", "verify", broken, "--headers", headers, "--network", "regtest",
                      "--json")
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    failed = {b["bundle_id"] for b in json.loads(refused.stdout.strip().splitlines()[-1])["bundles"]
              if b["status"] == "failed"}
    assert altered["bundle_id"] in failed
