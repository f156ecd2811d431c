"""The Postgres foundation: migrations, the embedded default, and row helpers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest

from warehouse.errors import InvalidIdError, MigrationError
from warehouse.migrate import apply_migrations, discover
from warehouse.pg import with_database
from warehouse.rows import _row_dict, _rows_list, _uid


def test_uid_valid_text_returns_uuid():
    value = uuid.uuid4()
    assert _uid(str(value)) == value
    assert _uid(value) is value


@pytest.mark.parametrize("garbage", ["", "not-a-uuid", "1234", None, 42, "' OR 1=1 --"])
def test_uid_garbage_raises_invalid_id(garbage):
    with pytest.raises(InvalidIdError):
        _uid(garbage, "site_id")


def test_row_dict_uuid_values_become_text():
    value = uuid.uuid4()
    assert _row_dict({"id": value, "n": 1}) == {"id": str(value), "n": 1}
    assert _row_dict(None) is None
    assert _rows_list([{"id": value}]) == [{"id": str(value)}]


def test_discover_misnamed_file_raises(tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("SELECT 1;")
    (tmp_path / "two.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="two.sql"):
        discover(tmp_path)


def test_discover_duplicate_number_raises(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="0001"):
        discover(tmp_path)


async def _fresh_db(server_url: str) -> str:
    name = f"osiris_m_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return with_database(server_url, name)


def test_migrations_applied_once_each(pg_server_url: str, tmp_path: Path):
    (tmp_path / "0001_t.sql").write_text("CREATE TABLE t (x int); INSERT INTO t VALUES (1);")

    async def run() -> tuple[list[int], list[int], int]:
        url = await _fresh_db(pg_server_url)
        first = await apply_migrations(url, tmp_path)
        second = await apply_migrations(url, tmp_path)
        conn = await asyncpg.connect(url)
        count = await conn.fetchval("SELECT count(*) FROM t")
        await conn.close()
        return first, second, count

    first, second, count = asyncio.run(run())
    assert first == [1]
    assert second == []
    assert count == 1


def test_failed_migration_leaves_no_record(pg_server_url: str, tmp_path: Path):
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x int); SELECT * FROM missing_table;")

    async def run() -> tuple[set[int], bool]:
        url = await _fresh_db(pg_server_url)
        with pytest.raises(MigrationError, match="0002_bad.sql"):
            await apply_migrations(url, tmp_path)
        conn = await asyncpg.connect(url)
        versions = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        half = await conn.fetchval("SELECT to_regclass('half') IS NOT NULL")
        await conn.close()
        return versions, half

    versions, half_exists = asyncio.run(run())
    assert versions == {1}
    assert half_exists is False


def test_migrations_two_processes_at_once_apply_each_once(pg_server_url: str, tmp_path: Path):
    # A migration that is not idempotent: running it twice would fail on the primary key.
    (tmp_path / "0001_once.sql").write_text(
        "CREATE TABLE once (x int PRIMARY KEY); SELECT pg_sleep(0.3); INSERT INTO once VALUES (1);"
    )
    url = asyncio.run(_fresh_db(pg_server_url))
    code = (
        "import sys; from pathlib import Path; from warehouse.migrate import apply_migrations; "
        "import asyncio; print(asyncio.run(apply_migrations(sys.argv[1], Path(sys.argv[2]))))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert outputs == ["[1]", "[]"]


def test_repository_migrations_apply_to_empty_database(pg_url: str):
    async def run() -> int:
        conn = await asyncpg.connect(pg_url)
        n = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        await conn.close()
        return n

    assert asyncio.run(run()) == len(discover())


def test_embedded_default_starts_when_database_url_unset():
    # A private directory, not tmp_path: concurrent pytest runs prune each other's basetemps.
    home = Path(tempfile.mkdtemp(prefix="osiris-embedded-"))
    code = (
        "import asyncio, asyncpg\n"
        "from warehouse.pg import database_url\n"
        "async def main():\n"
        "    conn = await asyncpg.connect(database_url())\n"
        "    print(await conn.fetchval('SELECT 41 + 1'))\n"
        "    await conn.close()\n"
        "asyncio.run(main())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"}
    env["OSIRIS_HOME"] = str(home)
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "42"
        assert (home / "pg" / "PG_VERSION").exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)
