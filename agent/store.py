"""The appliance's SQLite store: WAL journal, synchronous=FULL, versioned schema, one writer.

Everything the agent must not forget across a crash lives here: incidents, flap suppressions,
circuit breakers, seen order nonces, the last verified bundle, the telemetry outbox, scans and
targets. Writes that belong together (an incident and its telemetry) share one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.errors import StoreError
from agent.sql import migrations, sql


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Store:
    """One appliance's durable state; every public method is one transaction unless already inside one."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) in `transaction`.
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the agent store {self.path}: {exc}") from exc

    # --- plumbing ---------------------------------------------------------------------------------

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}
        for version, name, script in migrations():
            if version in done:
                continue
            # The migration and the record that it ran commit together, or neither does.
            try:
                self.conn.executescript("BEGIN IMMEDIATE;\n" + script)
                self.conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, _now_iso()),
                )
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        """The highest migration applied."""
        return self.conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested uses join the outer one, so callers compose atomically."""
        with self._lock:
            outer = self._depth == 0
            try:
                if outer:
                    self.conn.execute("BEGIN IMMEDIATE")
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                if outer:
                    self.conn.execute("COMMIT")
            except BaseException as exc:
                if outer and self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"agent store write failed: {exc}") from exc
                raise

    def _one(self, name: str, *args: Any) -> sqlite3.Row | None:
        try:
            with self._lock:
                return self.conn.execute(sql(name), args).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"agent store read {name} failed: {exc}") from exc

    def _all(self, name: str, *args: Any) -> list[sqlite3.Row]:
        try:
            with self._lock:
                return self.conn.execute(sql(name), args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"agent store read {name} failed: {exc}") from exc

    def _write(self, name: str, *args: Any) -> sqlite3.Cursor:
        with self.transaction() as conn:
            return conn.execute(sql(name), args)

    def integrity_check(self) -> str:
        """`PRAGMA integrity_check`: "ok" when the database file is sound."""
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self.conn.close()

    # --- kv ---------------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """A small stored fact, or the default."""
        row = self._one("kv_get", key)
        return row[0] if row else default

    def put(self, key: str, value: str) -> None:
        """Store a small fact."""
        self._write("kv_put", key, value, _now_iso())

    def delete(self, key: str) -> None:
        """Forget a small fact."""
        self._write("kv_delete", key)

    def get_json(self, key: str, default: Any = None) -> Any:
        """A stored JSON value, or the default."""
        raw = self.get(key)
        return default if raw is None else json.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        """Store a JSON value."""
        self.put(key, json.dumps(value, separators=(",", ":"), default=str))

    # --- incidents --------------------------------------------------------------------------------

    def open_incident(self, host: str, check_type: str) -> sqlite3.Row | None:
        """The open incident for this drift on this host, if any."""
        return self._one("incident_open_for", host, check_type)

    def incident(self, incident_id: str) -> sqlite3.Row | None:
        """One incident row."""
        return self._one("incident_get", incident_id)

    def insert_incident(self, incident: Any, status: str = "open") -> None:
        """Record a new incident (`contracts.incidents.Incident`)."""
        now = _now_iso()
        self._write(
            "incident_insert", incident.incident_id, incident.host, incident.check_type, incident.platform,
            incident.pattern_signature, status, incident.model_dump_json(), now, now,
        )

    def update_incident(
        self, incident_id: str, status: str, *, tier: str | None = None, rule_id: str | None = None,
        runbook_id: str | None = None, close: bool = False,
    ) -> None:
        """Move an incident to a new status, closing it when asked."""
        now = _now_iso()
        self._write("incident_update", status, tier, rule_id, runbook_id, now, close, now, incident_id)

    def l2_attempt(self, incident_id: str) -> int:
        """Count one more L2 attempt for an incident; returns the count."""
        with self.transaction() as conn:
            return conn.execute(sql("incident_l2_attempt"), (_now_iso(), incident_id)).fetchone()[0]

    def open_incidents(self) -> list[sqlite3.Row]:
        """Every incident not closed yet, oldest first."""
        return self._all("incidents_open")

    def prune_closed(self, before: datetime) -> int:
        """Forget closed incidents and scans older than a time (their events went to Central Command)."""
        with self.transaction() as conn:
            n = conn.execute(sql("incidents_prune"), (before.isoformat(),)).rowcount
            conn.execute(sql("scans_prune"), (before.timestamp(),))
        return n

    def open_incident_count(self) -> int:
        """How many incidents are open."""
        return self._one("incidents_open_count")[0]

    # --- flap suppression and breakers ------------------------------------------------------------

    def record_heal(self, host: str, check_type: str, at: float) -> None:
        """Remember a successful heal (flap detection counts them)."""
        self._write("heal_insert", host, check_type, at)

    def heals_since(self, host: str, check_type: str, since: float) -> int:
        """Successful heals of this drift on this host since a time."""
        return self._one("heals_since", host, check_type, since)[0]

    def prune_heals(self, before: float) -> None:
        """Forget heals older than any flap window."""
        self._write("heals_prune", before)

    def suppression(self, host: str, check_type: str, now: float) -> sqlite3.Row | None:
        """The active flap suppression for this drift on this host, if any."""
        return self._one("suppression_get", host, check_type, now)

    def suppress(self, host: str, check_type: str, *, since: float, until: float, heals: int, incident_id: str) -> None:
        """Stop auto-healing this drift on this host until a time."""
        self._write("suppression_put", host, check_type, since, until, heals, incident_id)

    def suppressions(self, now: float) -> list[sqlite3.Row]:
        """Every active flap suppression."""
        return self._all("suppressions_active", now)

    def clear_suppression(self, host: str, check_type: str) -> None:
        """Lift a flap suppression (a person fixed the cause)."""
        self._write("suppression_delete", host, check_type)

    def breaker(self, target: str, runbook_id: str) -> tuple[int, float]:
        """(consecutive failures, open until) for one (target, runbook)."""
        row = self._one("breaker_get", target, runbook_id)
        return (row[0], row[1]) if row else (0, 0.0)

    def set_breaker(self, target: str, runbook_id: str, failures: int, open_until: float) -> None:
        """Store a breaker's state."""
        self._write("breaker_put", target, runbook_id, failures, open_until)

    def open_breakers(self, now: float) -> list[sqlite3.Row]:
        """Breakers currently open."""
        return self._all("breakers_open", now)

    # --- orders, bundle, promoted rules -----------------------------------------------------------

    def nonce_seen(self, nonce: str) -> bool:
        """True when an order with this nonce was accepted before."""
        return self._one("nonce_get", nonce) is not None

    def remember_nonce(self, nonce: str, order_id: str, expires_at: float, status: str = "accepted") -> None:
        """Record an accepted order's nonce (before it runs, so a crash can never replay it)."""
        self._write("nonce_insert", nonce, order_id, status, expires_at, time.time())

    def set_nonce_status(self, nonce: str, status: str) -> None:
        """Record how an accepted order ended."""
        self._write("nonce_status", status, nonce)

    def prune_nonces(self, before: float) -> None:
        """Forget nonces of orders that expired before a time (they cannot verify again anyway)."""
        self._write("nonces_prune", before)

    def bundle(self) -> sqlite3.Row | None:
        """The last verified bundle (version, digest, envelope, expires_at, verified_at)."""
        return self._one("bundle_get")

    def save_bundle(self, version: int, digest: str, envelope: bytes, expires_at: str) -> None:
        """Replace the held bundle with a newly verified one."""
        self._write("bundle_put", version, digest, envelope, expires_at, _now_iso())

    def put_promoted_rule(self, rule: dict[str, Any]) -> None:
        """Install one promoted rule ahead of the next bundle."""
        self._write("promoted_put", rule["id"], json.dumps(rule, sort_keys=True), _now_iso())

    def promoted_rules(self) -> list[dict[str, Any]]:
        """Every promoted rule installed by order."""
        return [json.loads(r[0]) for r in self._all("promoted_all")]

    def delete_promoted_rule(self, rule_id: str) -> None:
        """Drop a promoted rule (a bundle now carries it)."""
        self._write("promoted_delete", rule_id)

    # --- checks, scans, targets -------------------------------------------------------------------

    def check_state(self, host: str, check_type: str) -> tuple[str, float] | None:
        """(last reported status, when) for one check on one host."""
        row = self._one("check_state_get", host, check_type)
        return (row[0], row[1]) if row else None

    def set_check_state(self, host: str, check_type: str, status: str, at: float) -> None:
        """Remember the last reported status of one check on one host."""
        self._write("check_state_put", host, check_type, status, at)

    def save_scan(self, host: str, kind: str, result: dict[str, Any]) -> None:
        """Keep one scan result."""
        self._write("scan_insert", host, kind, json.dumps(result, default=str), time.time())

    def latest_scan(self, host: str, kind: str) -> dict[str, Any] | None:
        """The newest scan result of a kind for a host."""
        row = self._one("scan_latest", host, kind)
        return json.loads(row["result"]) if row else None

    def put_target(self, *, host: str, port: int, platform: str, distro: str | None, credential_id: str | None,
                   sealed: str | None) -> None:
        """Record a target (its secrets stay sealed)."""
        self._write("target_put", host, port, platform, distro, credential_id, sealed, _now_iso())

    def targets(self) -> list[sqlite3.Row]:
        """Every known target."""
        return self._all("targets_all")

    def delete_target(self, host: str) -> None:
        """Forget a target."""
        self._write("target_delete", host)
