"""warehouse.bundles: the shared bundle publisher on a real Postgres (versions, no-op re-runs, the key file)."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from contracts.bundles import verify_bundle
from contracts.envelope import Keyring, generate_signing_key, load_verify_key
from warehouse.bundles import current_bundle, load_or_create_signing_key, publish_rules
from warehouse.errors import RulesBundleError, SigningKeyError

RULE = {"id": "L1-TEST-001", "conditions": [{"field": "check_type", "operator": "eq", "value": "x"}],
        "action": "execute_runbook", "runbook_id": "RB-X"}


def run(pg_url: str, fn):
    async def _go():
        conn = await asyncpg.connect(pg_url)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(_go())


def test_publish_rules_first_then_unchanged_then_changed(pg_url: str) -> None:
    key = generate_signing_key()

    async def scenario(conn):
        first = await publish_rules(conn, [RULE], key)
        again = await publish_rules(conn, [dict(RULE)], key)
        changed = await publish_rules(conn, [{**RULE, "priority": 7}], key)
        return first, again, changed, await current_bundle(conn)

    first, again, changed, current = run(pg_url, scenario)
    assert (first.version, first.published, first.reason) == (1, True, "first bundle")
    assert (again.version, again.published, again.reason) == (1, False, "unchanged")
    assert again.digest == first.digest
    assert (changed.version, changed.published, changed.reason) == (2, True, "rules changed")
    bundle = verify_bundle(current.envelope, Keyring.of(key.verify_key))
    assert bundle.version == 2 and bundle.rules == [{**RULE, "priority": 7}]


def test_publish_rules_unchanged_but_near_expiry_is_refreshed(pg_url: str) -> None:
    key = generate_signing_key()

    async def scenario(conn):
        await publish_rules(conn, [RULE], key, expires_in=timedelta(days=3))
        return await publish_rules(conn, [RULE], key)

    refreshed = run(pg_url, scenario)
    assert (refreshed.version, refreshed.published, refreshed.reason) == (2, True, "refreshed before expiry")


def test_publish_rules_invalid_rules_store_nothing(pg_url: str) -> None:
    key = generate_signing_key()

    async def scenario(conn):
        with pytest.raises(RulesBundleError, match="rules do not load"):
            await publish_rules(conn, [{**RULE, "conditions": []}], key)
        return await conn.fetchval("SELECT count(*) FROM rule_bundles")

    assert run(pg_url, scenario) == 0


def test_publish_rules_concurrent_publishers_get_distinct_increasing_versions(pg_url: str) -> None:
    key = generate_signing_key()

    async def scenario():
        pool = await asyncpg.create_pool(pg_url, min_size=4, max_size=4)
        try:
            results = await asyncio.gather(*(publish_rules(pool, [{**RULE, "priority": i}], key) for i in range(6)))
            stored = await pool.fetch("SELECT version, issued_at FROM rule_bundles ORDER BY version")
        finally:
            await pool.close()
        return results, stored

    results, stored = asyncio.run(scenario())
    assert sorted(r.version for r in results) == [1, 2, 3, 4, 5, 6]
    assert [r["version"] for r in stored] == [1, 2, 3, 4, 5, 6]


def test_signing_key_is_made_0600_with_its_public_half(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.key"
    key = load_or_create_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_verify_key(path.with_suffix(".pub").read_text()) == key.verify_key
    assert load_or_create_signing_key(path).encode() == key.encode()


def test_signing_key_readable_by_others_or_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    load_or_create_signing_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="readable by others"):
        load_or_create_signing_key(path)
    os.chmod(path, 0o600)
    path.write_text("not a key\n")
    with pytest.raises(SigningKeyError, match="signing key"):
        load_or_create_signing_key(path)


def test_current_bundle_none_before_first(pg_url: str) -> None:
    assert run(pg_url, current_bundle) is None
