"""Deterministic synthetic telemetry written into Central Command's real Postgres tables.

Payloads are the contract models' own JSON (`contracts.incidents`, `contracts.telemetry`), so the
warehouse reads exactly what the telemetry endpoint would have stored. Rows go in with
`copy_records_to_table`, so the ingest benchmark can seed a large fleet quickly too.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from contracts.incidents import CheckResult, HealingOutcome, Incident, L2Decision
from contracts.telemetry import DeviceScan, OpenPort, SoftwareItem

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
CHECKS = [  # (check_type, platform)
    ("firewall_status", "windows"), ("disk_encryption", "windows"), ("antivirus_status", "windows"),
    ("screen_lock", "windows"), ("ssh_root_login", "linux"), ("disk_encryption", "linux"),
]
# Real CPEs with real NVD records in ../shared/data/nvd/cves.jsonl (Heartbleed, Apache 2.4.7, ...).
SOFTWARE = {
    "windows": ["cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*",
                "cpe:2.3:a:mozilla:firefox:45.0:*:*:*:*:*:*:*"],
    "linux": ["cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*",
              "cpe:2.3:a:apache:http_server:2.4.7:*:*:*:*:*:*:*",
              "cpe:2.3:a:openbsd:openssh:7.2:p2:*:*:*:*:*:*"],
}
PORTS = {
    "windows": [OpenPort(port=3389, service="ms-wbt-server", product="Microsoft Terminal Services")],
    "linux": [OpenPort(port=22, service="ssh", product="OpenSSH", version="7.2p2"),
              OpenPort(port=443, service="https", product="Apache httpd", version="2.4.7")],
}


@dataclass
class Fleet:
    """What was written, for assertions: the site ids and the rows per table."""

    sites: list[str] = field(default_factory=list)
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def count(self, table: str) -> int:
        """Rows written to one table."""
        return len(self.rows.get(table, []))


COLUMNS = {
    "check_results": ("event_id", "site_id", "host", "check_type", "platform", "status", "observed_at",
                      "payload"),
    "incidents": ("event_id", "incident_id", "site_id", "host", "check_type", "platform", "severity",
                  "pattern_signature", "observed_at", "payload"),
    "l2_decisions": ("event_id", "decision_id", "incident_id", "site_id", "runbook_id", "confidence",
                     "requires_human_review", "pattern_signature", "provider", "model", "input_tokens",
                     "output_tokens", "cost_usd", "latency_ms", "decided_at", "payload"),
    "healing_outcomes": ("event_id", "incident_id", "site_id", "host", "tier", "status", "runbook_id",
                         "rule_id", "decision_id", "pattern_signature", "duration_ms", "error",
                         "finished_at", "payload"),
    "device_scans": ("event_id", "site_id", "host", "ip", "mac", "os", "device_type", "in_inventory",
                     "scanned_at", "payload"),
    "software_inventory": ("event_id", "site_id", "host", "cpe", "product", "version", "observed_at",
                           "payload"),
}


def _dump(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json"))


def generate(sites: int = 2, hosts: int = 3, days: int = 3, seed: int = 7,
             start: datetime = START, reasoning: str = "Firewall profile is off; re-enable it.") -> Fleet:
    """A fleet's telemetry: every host runs every check of its platform once a day."""
    rng = random.Random(seed)
    fleet = Fleet(rows={t: [] for t in COLUMNS})
    add = fleet.rows
    for s in range(sites):
        site = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        fleet.sites.append(site)
        for h in range(hosts):
            platform = "windows" if h % 2 == 0 else "linux"
            host = f"{'ws' if platform == 'windows' else 'srv'}-{s:02d}-{h:02d}"
            scan = DeviceScan(site_id=site, host=host, ip=f"10.{s}.0.{h + 10}", os=platform,
                              device_type="workstation", open_ports=PORTS[platform], scanned_at=start)
            add["device_scans"].append((scan.event_id, uuid.UUID(site), host, scan.ip, None, platform,
                                        "workstation", True, start, _dump(scan)))
            for cpe in SOFTWARE[platform]:
                item = SoftwareItem(site_id=site, host=host, cpe=cpe, observed_at=start)
                add["software_inventory"].append((item.event_id, uuid.UUID(site), host, cpe, "", "", start,
                                                  _dump(item)))
            for d in range(days):
                for check_type, check_platform in CHECKS:
                    if check_platform != platform:
                        continue
                    at = start + timedelta(days=d, minutes=rng.randrange(600))
                    roll = rng.random()
                    status = "pass" if roll < 0.7 else "fail" if roll < 0.9 else "not_applicable" \
                        if roll < 0.97 else "error"
                    check = CheckResult(site_id=site, host=host, check_type=check_type, platform=platform,
                                        status=status, hipaa_controls=["164.312(a)(1)"], observed_at=at)
                    add["check_results"].append((check.event_id, uuid.UUID(site), host, check_type, platform,
                                                 status, at, _dump(check)))
                    if status == "fail":
                        _incident(add, rng, site, host, check_type, platform, at, reasoning)
    return fleet


def _incident(add: dict[str, list[tuple]], rng: random.Random, site: str, host: str, check_type: str,
              platform: str, at: datetime, reasoning: str) -> None:
    inc = Incident(site_id=site, host=host, check_type=check_type, platform=platform, severity="high",
                   details={"profile": "domain"}, observed_at=at)
    sig = inc.pattern_signature
    add["incidents"].append((inc.incident_id, inc.incident_id, uuid.UUID(site), host, check_type, platform,
                             "high", sig, at, _dump(inc)))
    roll = rng.random()
    tier = "L1" if roll < 0.75 else "L2" if roll < 0.92 else "L3"
    decision_id = None
    runbook = f"RB-{check_type.upper()}"
    if tier == "L2":
        dec = L2Decision(incident_id=inc.incident_id, site_id=site, runbook_id=runbook,
                         reasoning=reasoning, confidence=round(rng.uniform(0.5, 0.99), 2),
                         pattern_signature=sig, provider="anthropic", model="claude-test",
                         input_tokens=900, output_tokens=120, cost_usd=0.0011, latency_ms=2400.0,
                         decided_at=at + timedelta(seconds=3))
        decision_id = dec.decision_id
        add["l2_decisions"].append((dec.decision_id, dec.decision_id, inc.incident_id, uuid.UUID(site),
                                    runbook, dec.confidence, dec.requires_human_review, sig, dec.provider,
                                    dec.model, 900, 120, 0.0011, 2400.0, dec.decided_at, _dump(dec)))
    status = "escalated" if tier == "L3" else ("healed" if rng.random() < 0.85 else "failed")
    out = HealingOutcome(incident_id=inc.incident_id, site_id=site, host=host, tier=tier, status=status,
                         runbook_id=None if tier == "L3" else runbook, decision_id=decision_id,
                         pattern_signature=sig, duration_ms=80.0 if tier == "L1" else 3000.0,
                         finished_at=at + timedelta(seconds=10))
    add["healing_outcomes"].append((out.event_id, inc.incident_id, uuid.UUID(site), host, tier, status,
                                    out.runbook_id, None, decision_id, sig, out.duration_ms, None,
                                    out.finished_at, _dump(out)))


async def write(url: str, fleet: Fleet, tables: list[str] | None = None) -> None:
    """Insert the fleet's sites and rows (only `tables` when given) with COPY."""
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            "INSERT INTO sites (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            [(uuid.UUID(s), f"Clinic {i}") for i, s in enumerate(fleet.sites)])
        for table, rows in fleet.rows.items():
            if rows and (tables is None or table in tables):
                await conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
    finally:
        await conn.close()
