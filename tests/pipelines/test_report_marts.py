"""The marts the report pages read beside the roll-ups (sites, incidents, checks, heals, ports,
escalations, flywheel): materialized in-process from literal rows in a real Postgres, and checked
against the contract `analytics_app.schema.MARTS` (exact columns and types) and the seeded values."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import polars as pl
import pytest
from dagster import AssetSelection

from analytics_app.schema import MARTS
from warehouse.duck import connect, read_mart
from warehouse.snapshot import snapshot_table

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SITE_A, SITE_B = str(uuid.uuid4()), str(uuid.uuid4())
ESC_HEAD, ESC_REPEAT = str(uuid.uuid4()), str(uuid.uuid4())
TELEMETRY = ("incidents", "healing_outcomes", "check_results", "device_scans")
PUBLISHED = ("sites", "incidents", "device_checks", "healing_history", "open_ports", "escalations",
             "escalation_attempts", "flywheel_candidates", "flywheel_rules", "flywheel_audit")
SELECTION = AssetSelection.assets(
    *[f"raw_{t}" for t in TELEMETRY], *[f"stg_{t}" for t in TELEMETRY],
    "raw_sites", "raw_escalations", "raw_escalation_attempts",
    "sites", "incidents", "device_checks", "healing_history", "open_ports", "escalations", "escalation_attempts",
    "flywheel_marts")


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany("INSERT INTO sites (id, name) VALUES ($1, $2)",
                               [(uuid.UUID(SITE_A), "Main Street Clinic"), (uuid.UUID(SITE_B), "Eastside Dental")])
        incident = ("INSERT INTO incidents (event_id, incident_id, site_id, host, check_type, platform, severity, "
                    "pattern_signature, observed_at, payload) VALUES ($1, $2, $3, $4, $5, 'windows', $6, 'sig', $7, '{}')")
        await conn.executemany(incident, [
            ("e-i1", "inc-1", uuid.UUID(SITE_A), "pc-01", "firewall_status", "HIGH", _at(0)),
            ("e-i2", "inc-2", uuid.UUID(SITE_B), "pc-02", "screen_lock", "low", _at(5)),
        ])
        outcome = ("INSERT INTO healing_outcomes (event_id, incident_id, site_id, host, tier, status, runbook_id, "
                   "rule_id, pattern_signature, duration_ms, finished_at, payload) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sig', $9, $10, '{}')")
        await conn.executemany(outcome, [
            ("e-o1", "inc-1", uuid.UUID(SITE_A), "pc-01", "L2", "failed", "RB-FW-1", None, 900.0, _at(1)),
            ("e-o2", "inc-1", uuid.UUID(SITE_A), "pc-01", "l1", "healed", "RB-FW-1", "L1-FW-1", 120.5, _at(2)),
        ])
        check = ("INSERT INTO check_results (event_id, site_id, host, check_type, platform, status, observed_at, "
                 "payload) VALUES ($1, $2, 'pc-01', 'firewall_status', 'windows', $3, $4, '{}')")
        await conn.executemany(check, [("e-c1", uuid.UUID(SITE_A), "fail", _at(0)),
                                       ("e-c2", uuid.UUID(SITE_A), "pass", _at(3))])
        ports = [{"port": 22, "proto": "tcp", "service": "ssh", "product": "OpenSSH", "version": "9.6"},
                 {"port": 161, "proto": "udp", "service": "snmp", "product": None, "version": None}]
        scan = ("INSERT INTO device_scans (event_id, site_id, host, ip, in_inventory, scanned_at, payload) "
                "VALUES ($1, $2, 'srv-01', '10.0.0.5', true, $3, $4::jsonb)")
        await conn.executemany(scan, [
            ("e-s1", uuid.UUID(SITE_A), _at(0), json.dumps({"open_ports": [{"port": 3389, "proto": "tcp"}]})),
            ("e-s2", uuid.UUID(SITE_A), _at(10), json.dumps({"open_ports": ports})),
        ])
        await conn.execute(
            "INSERT INTO escalations (id, site_id, incident_id, host, check_type, severity, reason, status, "
            "occurrences, channels, requested_at, notified_at) VALUES "
            "($1, $2, 'inc-2', 'pc-02', 'screen_lock', 'low', 'L2 could not plan', 'notified', 2, "
            "ARRAY['slack', 'email'], $3, $4)", uuid.UUID(ESC_HEAD), uuid.UUID(SITE_B), _at(6), _at(7))
        await conn.execute(
            "INSERT INTO escalations (id, site_id, incident_id, status, grouped_into, requested_at) "
            "VALUES ($1, $2, 'inc-2', 'grouped', $3, $4)",
            uuid.UUID(ESC_REPEAT), uuid.UUID(SITE_B), uuid.UUID(ESC_HEAD), _at(8))
        await conn.execute(
            "INSERT INTO escalation_attempts (escalation_id, channel, action, attempt, ok, status_code, error, "
            "latency_ms, attempted_at) VALUES ($1, 'slack', 'trigger', 1, false, 503, 'unavailable', 42.0, $2)",
            uuid.UUID(ESC_HEAD), _at(7))
        await conn.execute(
            "INSERT INTO rule_candidates (pattern_signature, runbook_id, check_type, platform, n, successes, "
            "wilson_lower, wilson_upper, sites, monthly_cost_usd, rule_id, verdict, reasons, evaluated_at) "
            "VALUES ('sig', 'RB-FW-1', 'firewall_status', 'windows', 12, 12, 0.76, 1.0, 3, 4.5, 'L1-FW-1', "
            "'reject', '[\"wilson_lower 0.76 < 0.85\"]', $1)", _at(20))
        await conn.execute(
            "INSERT INTO rules (rule_id, rule, status, source, pattern_signature, runbook_id, sites, reason, "
            "status_since) VALUES ('L1-FW-1', '{}', 'canary', 'promoted', 'sig', 'RB-FW-1', $1, 'shadow agreed', $2), "
            "('L1-MANUAL', '{}', 'active', 'manual', NULL, NULL, NULL, '', $2)", [SITE_A], _at(30))
        await conn.execute(
            "INSERT INTO rule_audit (rule_id, action, from_status, to_status, reason, evidence, bundle_version, "
            "created_at) VALUES ('L1-FW-1', 'stage', 'shadow', 'canary', 'shadow agreed', '{\"agree\": 9}', 4, $1)",
            _at(30))
    finally:
        await conn.close()


@pytest.fixture
def published(pg_url: str, run, resources: dict[str, Any]) -> Path:
    """The marts folder after one run over the seeded rows."""
    asyncio.run(_seed(pg_url))
    run(SELECTION)
    return Path(resources["warehouse"].marts_dir)


def _mart(folder: Path, name: str) -> pl.DataFrame:
    frame = read_mart(name, folder)
    assert frame is not None, f"{name} was not published"
    return frame


def test_report_marts_columns_match_the_schema_contract_exactly(published):
    for name in PUBLISHED:
        frame, spec = _mart(published, name), MARTS[name]
        assert tuple(frame.columns) == spec.fields, name
        assert dict(frame.schema) == spec.columns, name
        assert frame.height > 0, name


def test_report_marts_sites_names_every_site(published):
    assert sorted(_mart(published, "sites").rows()) == sorted([(SITE_A, "Main Street Clinic"),
                                                              (SITE_B, "Eastside Dental")])


def test_report_marts_incidents_take_state_from_the_latest_outcome(published):
    rows = {r["incident_id"]: r for r in _mart(published, "incidents").to_dicts()}
    assert rows["inc-1"] == {
        "site_id": SITE_A, "incident_id": "inc-1", "host": "pc-01", "check_type": "firewall_status",
        "severity": "high", "observed_at": _at(0), "status": "resolved", "tier": "L1", "outcome": "healed",
        "resolved_at": _at(2)}
    assert (rows["inc-2"]["status"], rows["inc-2"]["tier"], rows["inc-2"]["resolved_at"]) == ("open", None, None)


def test_report_marts_device_checks_keep_the_latest_result(published):
    assert _mart(published, "device_checks").rows() == [(SITE_A, "pc-01", "firewall_status", "pass", _at(3))]


def test_report_marts_healing_history_lists_every_outcome(published):
    rows = _mart(published, "healing_history").select("tier", "status", "rule_id", "duration_ms").rows()
    assert rows == [("L2", "failed", None, 900.0), ("L1", "healed", "L1-FW-1", 120.5)]


def test_report_marts_open_ports_come_from_the_latest_scan_only(published):
    rows = _mart(published, "open_ports").select("port", "proto", "service", "product", "scanned_at").rows()
    assert rows == [(22, "tcp", "ssh", "OpenSSH", _at(10)), (161, "udp", "snmp", "", _at(10))]


def test_report_marts_escalations_show_heads_and_their_attempts(published):
    heads = _mart(published, "escalations").to_dicts()
    assert [(h["escalation_id"], h["status"], h["occurrences"], h["channels"], h["notified_at"]) for h in heads] \
        == [(ESC_HEAD, "notified", 2, ["slack", "email"], _at(7))]
    attempts = _mart(published, "escalation_attempts").to_dicts()
    assert attempts == [{"escalation_id": ESC_HEAD, "site_id": SITE_B, "channel": "slack", "action": "trigger",
                         "attempt": 1, "ok": False, "status_code": 503, "error": "unavailable", "latency_ms": 42.0,
                         "attempted_at": _at(7)}]


def test_report_marts_flywheel_candidates_rules_and_audit(published):
    cand = _mart(published, "flywheel_candidates").row(0, named=True)
    assert (cand["n"], cand["successes"], cand["sites"], cand["verdict"], json.loads(cand["reasons"])) \
        == (12, 12, 3, "reject", ["wilson_lower 0.76 < 0.85"])
    rules = _mart(published, "flywheel_rules").to_dicts()
    assert [(r["rule_id"], r["status"], r["sites"], r["status_since"]) for r in rules] \
        == [("L1-FW-1", "canary", [SITE_A], _at(30))]  # the manual rule is not the flywheel's
    audit = _mart(published, "flywheel_audit").row(0, named=True)
    assert (audit["to_status"], json.loads(audit["evidence"]), audit["bundle_version"]) == ("canary", {"agree": 9}, 4)


def test_report_marts_snapshot_replaces_changed_rows_and_pages(pg_url: str, tmp_path: Path):
    asyncio.run(_seed(pg_url))
    with connect(tmp_path / "w.duckdb") as con:
        first = snapshot_table(pg_url, con, "sites", batch_rows=1)
        assert (first.rows, first.batches) == (2, 2)
        asyncio.run(_rename(pg_url))
        again = snapshot_table(pg_url, con, "sites", batch_rows=1)
        names = sorted(r[0] for r in con.execute("SELECT name FROM raw.sites").fetchall())
    assert again.rows == 2 and names == ["Eastside Dental", "Main Street Clinic (closed)"]


def test_report_marts_snapshot_of_a_missing_table_is_a_typed_error(pg_url: str, tmp_path: Path):
    from warehouse.errors import ExtractError

    with connect(tmp_path / "w.duckdb") as con, pytest.raises(ExtractError):
        snapshot_table(pg_url, con, "no_such_table")


async def _rename(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE sites SET name = name || ' (closed)' WHERE id = $1", uuid.UUID(SITE_A))
    finally:
        await conn.close()
