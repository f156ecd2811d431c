"""Synthetic decision histories where the right answer is known, in the `flywheel simulate` format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
SITES = ["site-a", "site-b", "site-c", "site-d"]


class History:
    """Decision lines accumulated by `add`, each with a fresh id and an increasing time."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def add(self, *, check_type: str, platform: str, runbook_id: str | None, n: int, successes: int,
            sites: list[str], details: dict[str, Any] | None = None, confidence: float = 0.9,
            cost_usd: float = 0.0011, latency_ms: float = 2400.0, days: float = 30.0) -> History:
        """`n` decisions spread round-robin over `sites` and evenly over `days`; failures spread evenly too."""
        failures = n - successes
        fail_at = {round(i * n / failures) for i in range(failures)} if failures else set()
        for i in range(n):
            number = len(self.lines)
            details_i = {**(details or {}), "hostname": f"ws-{number:04d}", "ip": f"10.0.{number % 250}.7"}
            self.lines.append({
                "decision_id": f"d-{number:05d}",
                "site_id": sites[i % len(sites)],
                "incident": {"incident_id": f"i-{number:05d}", "check_type": check_type, "platform": platform,
                             "severity": "high", "details": details_i, "host": details_i["hostname"]},
                "runbook_id": runbook_id,
                "confidence": confidence,
                "success": i not in fail_at,
                "cost_usd": cost_usd,
                "latency_ms": latency_ms,
                "decided_at": (START + timedelta(days=days * i / max(n - 1, 1))).isoformat(),
            })
        return self

    def write(self, path: Path) -> Path:
        """Write the history as JSONL."""
        path.write_text("".join(json.dumps(line) + "\n" for line in self.lines))
        return path
