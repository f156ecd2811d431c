"""The appliance store: durable pragmas, versioned schema, atomic transactions."""

from __future__ import annotations

import sqlite3

import pytest

from agent.errors import StoreError
from agent.sql import migrations, sql
from agent.store import Store


def test_store_open_wal_and_synchronous_full(tmp_path):
    store = Store(tmp_path / "a.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.integrity_check() == "ok"


def test_store_migrations_recorded_once_across_reopen(tmp_path):
    Store(tmp_path / "a.db").close()
    store = Store(tmp_path / "a.db")
    rows = store.conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    assert [tuple(r) for r in rows] == [(v, n) for v, n, _ in migrations()]
    assert store.schema_version == max(v for v, _, _ in migrations())


def test_store_transaction_error_rolls_back_everything(tmp_path):
    store = Store(tmp_path / "a.db")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("a", "1")
            store.put("b", "2")
            raise RuntimeError("boom")
    assert store.get("a") is None and store.get("b") is None


def test_store_nested_transaction_commits_with_outer(tmp_path):
    store = Store(tmp_path / "a.db")
    with store.transaction():
        store.put("a", "1")
        with store.transaction():
            store.put("b", "2")
        other = sqlite3.connect(tmp_path / "a.db")
        assert other.execute("SELECT count(*) FROM kv").fetchone()[0] == 0  # not visible before commit
    assert other.execute("SELECT count(*) FROM kv").fetchone()[0] == 2


def test_store_unwritable_path_raises_store_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError):
        Store(tmp_path / "file" / "a.db")


def test_store_not_a_database_raises_store_error(tmp_path):
    (tmp_path / "a.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(tmp_path / "a.db")


def test_store_nonces_survive_reopen(tmp_path):
    store = Store(tmp_path / "a.db")
    store.remember_nonce("n" * 32, "order-1", expires_at=9e9)
    store.close()
    assert Store(tmp_path / "a.db").nonce_seen("n" * 32)


def test_sql_unknown_query_names_it():
    with pytest.raises(KeyError, match="nope"):
        sql("nope")


def test_store_prune_closed_keeps_open_and_recent(tmp_path):
    from datetime import UTC, datetime, timedelta

    from contracts.incidents import Incident

    store = Store(tmp_path / "a.db")
    old, recent, still_open = (Incident(site_id="s", host=f"h{i}", check_type="c", platform="linux") for i in range(3))
    for inc in (old, recent, still_open):
        store.insert_incident(inc)
    store.update_incident(old.incident_id, "healed", close=True)
    store.update_incident(recent.incident_id, "healed", close=True)
    store.conn.execute("UPDATE incidents SET closed_at = '2000-01-01T00:00:00+00:00' WHERE incident_id = ?",
                       (old.incident_id,))
    assert store.prune_closed(datetime.now(UTC) - timedelta(days=30)) == 1
    assert store.incident(old.incident_id) is None and store.incident(recent.incident_id) is not None
    assert store.open_incident_count() == 1
