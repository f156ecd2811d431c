"""Demo-sized marts (the `osiris demo` defaults: 12 offices, 90 days) for timing the reports.

Volumes follow what the pipelines publish for such a fleet: every device runs every check daily
(one evidence bundle each), a few dozen CVEs per device, the HIPAA crosswalk's ~300 rows per site.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from analytics_app.schema import MARTS

CHECKS = ["firewall_status", "disk_encryption", "antivirus_status", "screen_lock", "ssh_root_login",
          "patch_level", "backup_status", "audit_logging", "password_policy", "usb_storage"]
START = date(2026, 8, 3)


def _write(folder: Path, name: str, columns: dict[str, list]) -> None:
    schema = MARTS[name].columns
    frame = pl.DataFrame({c: columns.get(c, [None] * len(next(iter(columns.values())))) for c in schema},
                         schema=schema)
    frame.write_parquet(folder / f"{name}.parquet")


def write_demo_marts(folder: Path, sites: int = 12, days: int = 90, hosts: int = 20, seed: int = 7) -> dict[str, int]:
    """Publish every mart the reports read, demo-sized, into `folder`; returns rows per mart."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    site_ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(1, sites + 1)]
    t0 = datetime.combine(START, datetime.min.time(), UTC)
    cols: dict[str, dict[str, list]] = {name: {} for name in MARTS}

    def add(mart: str, **row) -> None:
        for k, v in row.items():
            cols[mart].setdefault(k, []).append(v)

    for s, site in enumerate(site_ids):
        add("sites", site_id=site, name=f"Clinic {s + 1}")
        for d in range(days):
            day = START + timedelta(days=d)
            for check in CHECKS:
                failed = sum(rng.random() < 0.08 * (1 - d / (2 * days)) for _ in range(hosts))
                add("compliance_rates", site_id=site, day=day, check_type=check, checks=hosts, devices=hosts,
                    passed=hosts - failed, failed=failed, not_applicable=0, errors=0,
                    compliance_rate=(hosts - failed) / hosts)
            add("l2_costs", site_id=site, day=day, provider="anthropic", model="claude", decisions=3,
                cost_usd=0.0033)
        for w in range(days // 7 + 1):
            l1 = 0.55 + 0.3 * w / (days / 7)
            for tier, share in (("L1", l1), ("L2", (1 - l1) * 0.7), ("L3", (1 - l1) * 0.3)):
                add("tier_distribution", site_id=site, week=START + timedelta(weeks=w), tier=tier,
                    incidents=int(share * 40) + 1, healed=int(share * 36), share=share)
        for b in range(10):
            add("l2_confidence", site_id=site, confidence_bucket=b / 10, decisions=10, mean_confidence=b / 10 + 0.05,
                with_outcome=10, healed=b + 1, failed=9 - b, escalated=0, success_rate=(b + 1) / 10)
        for h in range(hosts):
            host = f"ws-{h:02d}"
            failing = [c for c in CHECKS if rng.random() < 0.05]
            add("device_compliance", site_id=site, host=host, platform="windows", ip=f"10.{s}.0.{h}",
                device_type="workstation", in_inventory=True, checks=10, passed=10 - len(failing),
                failed=len(failing), not_applicable=0, errors=0, compliance_rate=(10 - len(failing)) / 10,
                compliant=not failing, failing_checks=failing, last_checked_at=t0 + timedelta(days=days - 1),
                last_scanned_at=t0 + timedelta(days=days - 1))
            for check in CHECKS:
                add("device_checks", site_id=site, host=host, check_type=check,
                    status="fail" if check in failing else "pass", observed_at=t0 + timedelta(days=days - 1))
            for port in (135, 445, 3389):
                add("open_ports", site_id=site, host=host, port=port, proto="tcp", service="msrpc", product="",
                    scanned_at=t0)
            for c in range(40):
                score = round(rng.uniform(2, 10), 1)
                sev = "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
                add("cve_exposure", site_id=site, host=host, cve_id=f"CVE-2024-{1000 + c}", cpe="cpe:2.3:a:x:y:1",
                    cvss_score=score, exposed=c % 7 == 0, exposed_ports=["3389/tcp ms-wbt-server"] if c % 7 == 0 else [],
                    kev=c % 13 == 0, severity=sev, base_severity=sev, published=t0 - timedelta(days=400),
                    last_observed_at=t0 + timedelta(days=days - 1))
            for d in range(days):
                for k, check in enumerate(CHECKS):
                    n = len(cols["evidence_bundles"].get("seq", []))
                    add("evidence_bundles", site_id=site, bundle_id=f"b-{n}", seq=n, kind="check", check_type=check,
                        target=host, result="pass", bundle_hash=f"{n:064x}", chain_hash=f"{n + 1:064x}",
                        batch_id=f"batch-{s}-{d}", created_at=t0 + timedelta(days=d, minutes=k))
        for i in range(days * 5):
            at = t0 + timedelta(hours=i * 24 * days / (days * 5))
            add("incidents", site_id=site, incident_id=f"inc-{s}-{i}", host=f"ws-{i % hosts:02d}",
                check_type=CHECKS[i % 10], severity="high", observed_at=at, status="open" if i % 50 == 0 else "resolved",
                tier="L1", outcome="healed", resolved_at=at)
            add("healing_history", site_id=site, host=f"ws-{i % hosts:02d}", incident_id=f"inc-{s}-{i}", tier="L1",
                status="healed", runbook_id="RB-1", duration_ms=80.0, finished_at=at)
        for e in range(30):
            add("escalations", escalation_id=f"esc-{s}-{e}", site_id=site, incident_id=f"inc-{s}-{e}", host="ws-00",
                check_type=CHECKS[e % 10], severity="high", reason="L2 unsure", status="queued" if e % 3 else "resolved",
                occurrences=1, channels=["email"], requested_at=t0 + timedelta(days=e * 3))
            add("escalation_attempts", escalation_id=f"esc-{s}-{e}", site_id=site, channel="email", action="trigger",
                attempt=1, ok=e % 4 != 0, latency_ms=20.0, attempted_at=t0 + timedelta(days=e * 3))
        for (elem, sect), control in zip([(f"164.3{x:02d}(a)({y})", x) for x in (8, 10, 12, 16) for y in range(1, 20)],
                                         [f"ac-{k}" for k in range(1, 200)], strict=False):
            add("control_coverage", site_id=site, hipaa_element=elem, element_title=elem, safeguard=str(sect),
                control_id=control, control_label=control.upper(), check_type=CHECKS[hash(elem) % 10],
                status=rng.choice(["pass", "fail", "no_data"]), devices=hosts, passed=hosts, failed=0)
        add("evidence_chain", site_id=site, bundles=hosts * days * 10, head_seq=hosts * days * 10 - 1, chain_ok=True,
            breaks=0, unbatched=5)
        for d in range(days):
            add("evidence_batches", site_id=site, batch_id=f"batch-{s}-{d}", status="confirmed" if d < days - 2 else
                "pending", block_height=900000 + d if d < days - 2 else None, leaf_count=hosts * 10,
                created_at=t0 + timedelta(days=d), stamped_at=t0 + timedelta(days=d))
    for r in range(40):
        add("flywheel_candidates", pattern_signature=f"sig-{r}", runbook_id=f"RB-{r}", n=30, successes=29,
            wilson_lower=0.85, verdict="promote" if r % 3 else "reject", reasons="[]", evaluated_at=t0)
        add("flywheel_rules", rule_id=f"L1-AUTO-{r}", status=["shadow", "canary", "active", "demoted"][r % 4])
        add("flywheel_audit", id=r, rule_id=f"L1-AUTO-{r}", action="promote", to_status="shadow", reason="gate passed",
            evidence="{}", created_at=t0 + timedelta(days=r))
    for name, columns in cols.items():
        _write(folder, name, columns)
    return {name: len(next(iter(c.values()))) for name, c in cols.items()}
