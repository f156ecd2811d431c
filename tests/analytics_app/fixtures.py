"""Small published marts with known numbers, written as Parquet the way the warehouse publishes them.

Every frame is built against `analytics_app.schema.MARTS` (same columns and types), so a test that
passes here reads what the real producers write. The numbers the tests assert are worked out in
the comments beside the rows.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics_app.schema import MARTS

SITE_A = "a1a1a1a1-0000-4000-8000-00000000000a"
SITE_B = "b2b2b2b2-0000-4000-8000-00000000000b"
NAMES = {SITE_A: "Clinic A", SITE_B: "Clinic B"}
D = date(2026, 11, 2)  # a Monday


def ts(day: int, hour: int = 9) -> datetime:
    """A UTC time on November `day`, 2026."""
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows as the mart `name`'s exact schema (absent keys are nulls)."""
    schema = MARTS[name].columns
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


def _cr(site: str, day: int, check: str, passed: int, failed: int, na: int = 0) -> dict[str, Any]:
    return {"site_id": site, "day": date(2026, 11, day), "check_type": check, "checks": passed + failed + na,
            "devices": passed + failed + na, "passed": passed, "failed": failed, "not_applicable": na,
            "errors": 0, "compliance_rate": passed / (passed + failed)}


# Site A: 14 passed, 2 failed -> 87.5%. Site B: 4 passed, 2 failed -> 66.7% (to Nov 3: 3 / 4 = 75%).
# Fleet: 18 / 22 = 81.8%; to Nov 3: 17 / 20 = 85.0%.
COMPLIANCE = [
    _cr(SITE_A, 2, "firewall_status", 3, 1), _cr(SITE_A, 2, "disk_encryption", 4, 0),
    _cr(SITE_A, 3, "firewall_status", 4, 0), _cr(SITE_A, 3, "disk_encryption", 3, 1, na=1),
    _cr(SITE_B, 2, "firewall_status", 1, 1), _cr(SITE_B, 3, "firewall_status", 2, 0),
    _cr(SITE_B, 10, "firewall_status", 1, 1),
]


def _tier(site: str, week: date, tier: str, incidents: int, healed: int) -> dict[str, Any]:
    return {"site_id": site, "week": week, "tier": tier, "incidents": incidents, "healed": healed,
            "mean_duration_ms": 80.0 if tier == "L1" else 3000.0}


W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
# Fleet week 1: L1 8 of 14 = 57.1%; week 2: L1 11 of 14 = 78.6% (+21.4 pts).
TIERS = [
    _tier(SITE_A, W1, "L1", 6, 6), _tier(SITE_A, W1, "L2", 3, 2), _tier(SITE_A, W1, "L3", 1, 0),
    _tier(SITE_A, W2, "L1", 8, 8), _tier(SITE_A, W2, "L2", 1, 1), _tier(SITE_A, W2, "L3", 1, 0),
    _tier(SITE_B, W1, "L1", 2, 2), _tier(SITE_B, W1, "L2", 2, 1),
    _tier(SITE_B, W2, "L1", 3, 3), _tier(SITE_B, W2, "L2", 1, 1),
]

# L2 spend: 0.0033 + 0.0011 + 0.0024 + 0.0012 = $0.0080 over 7 decisions.
COSTS = [
    {"site_id": SITE_A, "day": date(2026, 11, 2), "provider": "anthropic", "model": "claude", "decisions": 3,
     "cost_usd": 0.0033},
    {"site_id": SITE_A, "day": date(2026, 11, 9), "provider": "anthropic", "model": "claude", "decisions": 1,
     "cost_usd": 0.0011},
    {"site_id": SITE_B, "day": date(2026, 11, 3), "provider": "anthropic", "model": "claude", "decisions": 2,
     "cost_usd": 0.0024},
    {"site_id": SITE_B, "day": date(2026, 11, 10), "provider": "learned", "model": "", "decisions": 1,
     "cost_usd": 0.0012},
]

# Calibration, both sites together: bucket 0.7 -> 6 decisions, 4 healed of 6 = 66.7%; 0.9 -> 2 of 2.
CONFIDENCE = [
    {"site_id": SITE_A, "confidence_bucket": 0.7, "decisions": 4, "mean_confidence": 0.74, "with_outcome": 4,
     "healed": 3, "failed": 1, "escalated": 0, "human_reviews": 0, "success_rate": 0.75},
    {"site_id": SITE_B, "confidence_bucket": 0.7, "decisions": 2, "mean_confidence": 0.72, "with_outcome": 2,
     "healed": 1, "failed": 1, "escalated": 0, "human_reviews": 0, "success_rate": 0.5},
    {"site_id": SITE_A, "confidence_bucket": 0.9, "decisions": 2, "mean_confidence": 0.93, "with_outcome": 2,
     "healed": 2, "failed": 0, "escalated": 0, "human_reviews": 0, "success_rate": 1.0},
]


def _dev(site: str, host: str, platform: str, passed: int, failed: int, failing: list[str],
         ip: str | None = None) -> dict[str, Any]:
    checks = passed + failed
    return {"site_id": site, "host": host, "platform": platform, "ip": ip, "device_type": "workstation",
            "in_inventory": True, "checks": checks, "passed": passed, "failed": failed, "not_applicable": 0,
            "errors": 0, "compliance_rate": passed / checks if checks else None,
            "compliant": (failed == 0) if checks else None, "failing_checks": failing,
            "last_checked_at": ts(3) if checks else None, "last_scanned_at": ts(2)}


# Site A: 3 devices, 2 compliant; Site B: 1 checked device (compliant) and a printer no check ran on.
DEVICES = [
    _dev(SITE_A, "ws-01", "windows", 3, 1, ["firewall_status"], "10.0.0.11"),
    _dev(SITE_A, "ws-02", "windows", 4, 0, [], "10.0.0.12"),
    _dev(SITE_A, "srv-01", "linux", 2, 0, [], "10.0.0.20"),
    _dev(SITE_B, "ws-10", "windows", 2, 0, [], "10.1.0.10"),
    _dev(SITE_B, "printer-1", "", 0, 0, [], "10.1.0.99"),
]

DEVICE_CHECKS = [
    {"site_id": SITE_A, "host": "ws-01", "check_type": c, "status": s, "observed_at": ts(3)}
    for c, s in (("firewall_status", "fail"), ("disk_encryption", "pass"), ("screen_lock", "pass"),
                 ("antivirus_status", "pass"))
]

# Open incidents: A has 3 (2 high on ws-01, 1 medium on srv-01), B has 1 -> 4 open; 2 resolved.
INCIDENTS = [
    {"site_id": SITE_A, "incident_id": "inc-1", "host": "ws-01", "check_type": "firewall_status", "severity": "high",
     "observed_at": ts(2), "status": "open"},
    {"site_id": SITE_A, "incident_id": "inc-2", "host": "ws-01", "check_type": "screen_lock", "severity": "high",
     "observed_at": ts(3), "status": "open"},
    {"site_id": SITE_A, "incident_id": "inc-3", "host": "srv-01", "check_type": "ssh_root_login",
     "severity": "medium", "observed_at": ts(3, 10), "status": "open"},
    {"site_id": SITE_A, "incident_id": "inc-4", "host": "ws-01", "check_type": "disk_encryption",
     "severity": "high", "observed_at": ts(2, 8), "status": "resolved", "tier": "L1", "outcome": "healed",
     "resolved_at": ts(2, 8)},
    {"site_id": SITE_B, "incident_id": "inc-5", "host": "ws-10", "check_type": "firewall_status",
     "severity": "critical", "observed_at": ts(10), "status": "open"},
    {"site_id": SITE_B, "incident_id": "inc-6", "host": "ws-10", "check_type": "firewall_status", "severity": "high",
     "observed_at": ts(3), "status": "resolved", "tier": "L2", "outcome": "healed", "resolved_at": ts(3, 11)},
]

HEALING = [
    {"site_id": SITE_A, "host": "ws-01", "incident_id": "inc-4", "tier": "L1", "status": "healed",
     "runbook_id": "RB-WIN-BITLOCKER-001", "rule_id": "L1-BITLOCKER-001", "duration_ms": 85.0,
     "finished_at": ts(2, 8)},
    {"site_id": SITE_A, "host": "ws-01", "incident_id": "inc-1", "tier": "L2", "status": "failed",
     "runbook_id": "RB-WIN-FIREWALL-001", "duration_ms": 3100.0, "finished_at": ts(2, 10)},
]

PORTS = [
    {"site_id": SITE_A, "host": "ws-01", "port": 3389, "proto": "tcp", "service": "ms-wbt-server",
     "product": "Microsoft Terminal Services", "scanned_at": ts(2)},
    {"site_id": SITE_A, "host": "ws-01", "port": 445, "proto": "tcp", "service": "microsoft-ds", "product": "",
     "scanned_at": ts(2)},
    {"site_id": SITE_A, "host": "srv-01", "port": 22, "proto": "tcp", "service": "ssh", "product": "OpenSSH",
     "scanned_at": ts(2)},
]


def _cve(site: str, host: str, cve: str, score: float, base: str, severity: str, exposed: bool,
         ports: list[str], kev: bool = False) -> dict[str, Any]:
    return {"site_id": site, "host": host, "cve_id": cve, "cpe": "cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*",
            "cvss_score": score, "cvss_version": "3.1", "attack_vector": "N", "base_severity": base,
            "exposed": exposed, "exposed_ports": ports, "kev": kev, "description": f"{cve} description",
            "published": datetime(2016, 3, 3, tzinfo=UTC), "severity": severity, "last_observed_at": ts(2)}


# 4 device-CVE rows, 3 distinct CVEs; 2 rows exposed; 1 KEV; critical rows: 2 (A's exposed one and B's).
CVES = [
    _cve(SITE_A, "ws-01", "CVE-2019-0708", 9.8, "critical", "critical", True, ["3389/tcp ms-wbt-server"], kev=True),
    _cve(SITE_A, "ws-01", "CVE-2017-0144", 8.1, "high", "high", False, []),
    _cve(SITE_A, "srv-01", "CVE-2016-6210", 5.9, "medium", "high", True, ["22/tcp ssh OpenSSH"]),
    _cve(SITE_B, "ws-10", "CVE-2019-0708", 9.8, "critical", "critical", False, []),
]


def _cov(site: str, element: str, title: str, safeguard: str, control: str | None, check: str | None,
         status: str, passed: int = 0, failed: int = 0) -> dict[str, Any]:
    return {"site_id": site, "hipaa_element": element, "element_title": title, "element_type": "standard",
            "safeguard": safeguard, "control_id": control, "control_label": control.upper() if control else None,
            "control_title": f"{control} title" if control else None, "check_type": check, "via": "crosswalk",
            "devices": passed + failed, "passed": passed, "failed": failed, "not_applicable": 0, "errors": 0,
            "status": status}


def _coverage(site: str, fw: str, disk: str, av: str) -> list[dict[str, Any]]:
    # 5 elements; an element is as bad as its worst check.
    return [
        _cov(site, "164.308(a)(1)", "Security management process", "administrative", "sc-7", "firewall_status",
             fw, *((3, 1) if fw == "fail" else (2, 0) if fw == "pass" else (0, 0))),
        _cov(site, "164.308(a)(5)", "Security awareness and training", "administrative", "si-3",
             "antivirus_status", av, *((3, 0) if av == "pass" else (0, 0))),
        _cov(site, "164.310(d)", "Device and media controls", "physical", "mp-6", None, "no_checks"),
        _cov(site, "164.312(a)", "Access control", "technical", "ac-11", "screen_lock",
             "pass" if av == "pass" else "no_data", *((3, 0) if av == "pass" else (0, 0))),
        _cov(site, "164.312(a)", "Access control", "technical", "sc-28", "disk_encryption", disk,
             *((3, 1) if disk == "fail" else (0, 0))),
        _cov(site, "164.316(b)", "Documentation", "documentation", None, None, "no_checks"),
    ]


# A: 164.308(a)(1) fail, 164.308(a)(5) pass, 164.312(a) fail -> 3 of 5 covered (60%), 1 passing.
# B: only 164.308(a)(1) has data (pass) -> 1 of 5 covered (20%), 1 passing.
COVERAGE = _coverage(SITE_A, "fail", "fail", "pass") + _coverage(SITE_B, "pass", "no_data", "no_data")

CANDIDATES = [
    {"pattern_signature": "sig-fw", "runbook_id": "RB-WIN-FIREWALL-001", "check_type": "firewall_status",
     "platform": "windows", "n": 40, "successes": 39, "wilson_lower": 0.871, "wilson_upper": 0.996, "sites": 3,
     "rule_id": "L1-AUTO-FW-01", "verdict": "live", "reasons": json.dumps(["already live as L1-AUTO-FW-01"]),
     "evaluated_at": ts(10)},
    {"pattern_signature": "sig-av", "runbook_id": "RB-WIN-AV-001", "check_type": "antivirus_status",
     "platform": "windows", "n": 12, "successes": 12, "wilson_lower": 0.757, "wilson_upper": 1.0, "sites": 2,
     "rule_id": "L1-AUTO-AV-01", "verdict": "reject", "reasons": json.dumps(["wilson_lower 0.757 < 0.85"]),
     "evaluated_at": ts(10)},
    {"pattern_signature": "sig-ssh", "runbook_id": "RB-LNX-SSH-001", "check_type": "ssh_root_login",
     "platform": "linux", "n": 30, "successes": 30, "wilson_lower": 0.886, "wilson_upper": 1.0, "sites": 2,
     "rule_id": "L1-AUTO-SSH-01", "verdict": "promote", "reasons": json.dumps([]), "evaluated_at": ts(10)},
]

RULES = [
    {"rule_id": "L1-AUTO-SSH-01", "status": "shadow", "pattern_signature": "sig-ssh", "runbook_id": "RB-LNX-SSH-001",
     "reason": "passed the gate", "status_since": ts(10), "created_at": ts(10)},
    {"rule_id": "L1-AUTO-FW-01", "status": "canary", "pattern_signature": "sig-fw",
     "runbook_id": "RB-WIN-FIREWALL-001", "sites": [SITE_A], "reason": "shadow agreed 9 of 9",
     "status_since": ts(8), "created_at": ts(4)},
    {"rule_id": "L1-AUTO-LOCK-01", "status": "active", "pattern_signature": "sig-lock",
     "runbook_id": "RB-WIN-LOCK-001", "reason": "canary healed 12 of 12", "status_since": ts(6),
     "created_at": ts(2)},
    {"rule_id": "L1-AUTO-AV-00", "status": "demoted", "pattern_signature": "sig-av0", "runbook_id": "RB-WIN-AV-000",
     "reason": "success upper bound 0.61 < 0.85", "status_since": ts(9), "created_at": ts(2)},
]

AUDIT = [
    {"id": 1, "rule_id": "L1-AUTO-FW-01", "action": "promote", "from_status": None, "to_status": "shadow",
     "reason": "gate passed: n=40, wilson_lower=0.871, 3 sites, backtest precision 1.0",
     "evidence": json.dumps({"n": 40, "wilson_lower": 0.871, "backtest": {"precision": 1.0}}),
     "actor": "flywheel", "bundle_version": 7, "created_at": ts(4)},
    {"id": 2, "rule_id": "L1-AUTO-FW-01", "action": "stage", "from_status": "shadow", "to_status": "canary",
     "reason": "shadow agreed 9 of 9", "evidence": json.dumps({"agree": 9, "disagree": 0}), "actor": "flywheel",
     "bundle_version": 8, "created_at": ts(8)},
    {"id": 3, "rule_id": "L1-AUTO-AV-00", "action": "demote", "from_status": "active", "to_status": "demoted",
     "reason": "success upper bound 0.61 < 0.85", "evidence": json.dumps({"n": 10, "successes": 4}),
     "actor": "flywheel", "bundle_version": 9, "created_at": ts(9)},
]

# Chains: A healthy (12 bundles, 2 not yet batched); B broken once.
CHAINS = [
    {"site_id": SITE_A, "bundles": 12, "head_seq": 11, "head_hash": "ab" * 32, "last_bundle_at": ts(3),
     "chain_ok": True, "breaks": 0, "unbatched": 2},
    {"site_id": SITE_B, "bundles": 5, "head_seq": 4, "head_hash": "cd" * 32, "last_bundle_at": ts(3),
     "chain_ok": False, "breaks": 1, "unbatched": 0},
]
# Batches: 1 confirmed (block 358391), 2 pending, 1 not stamped yet (no calendar answered).
STAMPS = [
    {"site_id": SITE_A, "batch_id": "batch-1", "root": "11" * 32, "leaf_count": 6, "status": "confirmed",
     "block_height": 358391, "block_time": datetime(2015, 5, 28, 15, 41, 18, tzinfo=UTC), "created_at": ts(2),
     "stamped_at": ts(2), "upgraded_at": ts(3)},
    {"site_id": SITE_A, "batch_id": "batch-2", "root": "22" * 32, "leaf_count": 4, "status": "pending",
     "created_at": ts(3), "stamped_at": ts(3)},
    {"site_id": SITE_B, "batch_id": "batch-3", "root": "33" * 32, "leaf_count": 5, "status": "pending",
     "created_at": ts(3), "stamped_at": ts(3)},
    {"site_id": SITE_B, "batch_id": "batch-4", "root": "44" * 32, "leaf_count": 2, "status": "unstamped",
     "created_at": ts(10), "last_error": "no calendar configured"},
]
BUNDLES = [
    {"site_id": SITE_A, "bundle_id": f"bundle-{n}", "seq": n, "kind": "check", "check_type": check, "target": host,
     "result": result, "bundle_hash": f"{n:02d}" * 32, "chain_hash": f"{n + 50:02d}" * 32, "batch_id": "batch-1",
     "created_at": ts(2 + n // 3)}
    for n, (check, host, result) in enumerate([
        ("firewall_status", "ws-01", "fail"), ("disk_encryption", "ws-01", "pass"),
        ("firewall_status", "ws-02", "pass"), ("disk_encryption", "ws-02", "fail"),
    ])
]

# Queue (not resolved): esc-1 queued, esc-2 notified (A), esc-4 failed (B) -> 3; esc-3 resolved.
ESCALATIONS = [
    {"escalation_id": "esc-1", "site_id": SITE_A, "incident_id": "inc-1", "host": "ws-01",
     "check_type": "firewall_status", "severity": "high", "reason": "L2 confidence 0.55 < 0.7", "status": "queued",
     "occurrences": 2, "channels": [], "requested_at": ts(2, 11)},
    {"escalation_id": "esc-2", "site_id": SITE_A, "incident_id": "inc-2", "host": "ws-01",
     "check_type": "screen_lock", "severity": "high", "reason": "no runbook for this drift", "status": "notified",
     "occurrences": 1, "channels": ["slack", "pagerduty"], "requested_at": ts(3, 11), "notified_at": ts(3, 11)},
    {"escalation_id": "esc-3", "site_id": SITE_A, "incident_id": "inc-4", "host": "ws-01",
     "check_type": "disk_encryption", "severity": "medium", "reason": "runbook failed", "status": "resolved",
     "occurrences": 1, "channels": ["email"], "requested_at": ts(2, 9), "notified_at": ts(2, 9),
     "resolved_at": ts(2, 12)},
    {"escalation_id": "esc-4", "site_id": SITE_B, "incident_id": "inc-5", "host": "ws-10",
     "check_type": "firewall_status", "severity": "critical", "reason": "healing failed twice", "status": "failed",
     "occurrences": 1, "channels": ["email"], "requested_at": ts(10, 11)},
]
ATTEMPTS = [
    {"escalation_id": "esc-2", "site_id": SITE_A, "channel": "slack", "action": "trigger", "attempt": 1, "ok": True,
     "status_code": 200, "latency_ms": 120.0, "attempted_at": ts(3, 11)},
    {"escalation_id": "esc-2", "site_id": SITE_A, "channel": "pagerduty", "action": "trigger", "attempt": 1,
     "ok": True, "status_code": 202, "latency_ms": 210.0, "attempted_at": ts(3, 11)},
    {"escalation_id": "esc-4", "site_id": SITE_B, "channel": "email", "action": "trigger", "attempt": 1, "ok": False,
     "error": "connection refused", "latency_ms": 3.0, "attempted_at": ts(10, 11)},
    {"escalation_id": "esc-4", "site_id": SITE_B, "channel": "email", "action": "trigger", "attempt": 2, "ok": False,
     "error": "connection refused", "latency_ms": 3.0, "attempted_at": ts(10, 12)},
]

ROWS: dict[str, list[dict[str, Any]]] = {
    "sites": [{"site_id": s, "name": n} for s, n in NAMES.items()],
    "compliance_rates": COMPLIANCE, "tier_distribution": TIERS, "l2_costs": COSTS, "l2_confidence": CONFIDENCE,
    "device_compliance": DEVICES, "device_checks": DEVICE_CHECKS, "incidents": INCIDENTS,
    "healing_history": HEALING, "open_ports": PORTS, "cve_exposure": CVES, "control_coverage": COVERAGE,
    "flywheel_candidates": CANDIDATES, "flywheel_rules": RULES, "flywheel_audit": AUDIT,
    "evidence_chain": CHAINS, "evidence_batches": STAMPS, "evidence_bundles": BUNDLES,
    "escalations": ESCALATIONS, "escalation_attempts": ATTEMPTS,
}


def write_marts(folder: Path, names: list[str] | None = None) -> Path:
    """Publish the fixture marts (all, or `names`) into `folder` as `<name>.parquet`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or list(ROWS):
        frame(name, ROWS[name]).write_parquet(folder / f"{name}.parquet")
    return folder
