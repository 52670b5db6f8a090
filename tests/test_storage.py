"""Migrations and per-test database isolation, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from storage import instance
from storage.errors import MigrationError, StorageError
from storage.migrate import load_migrations, migrate
from tests.rig import create_database, drop_database


async def test_migrations_are_idempotent(database_url: str) -> None:
    # The fixture's database was cloned from a migrated template: nothing is pending.
    assert await migrate(database_url) == []
    conn = await asyncpg.connect(database_url)
    try:
        recorded = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    finally:
        await conn.close()
    assert sorted(recorded) == [m.version for m in load_migrations()]


async def test_fresh_database_migrates_then_second_run_applies_nothing(
    pg_server_dsn: str,
) -> None:
    name, dsn = await create_database(pg_server_dsn)
    try:
        first = await migrate(dsn)
        assert [m.version for m in first] == [m.version for m in load_migrations()]
        assert await migrate(dsn) == []
    finally:
        await drop_database(pg_server_dsn, name)


async def test_concurrent_migrators_apply_each_migration_once(pg_server_dsn: str) -> None:
    name, dsn = await create_database(pg_server_dsn)
    try:
        results = await asyncio.gather(migrate(dsn), migrate(dsn), migrate(dsn))
        applied = [m.version for result in results for m in result]
        assert sorted(applied) == [m.version for m in load_migrations()]
    finally:
        await drop_database(pg_server_dsn, name)


async def test_failed_migration_leaves_schema_as_it_was(pg_server_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first_table (id int);")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;"
    )
    name, dsn = await create_database(pg_server_dsn)
    try:
        with pytest.raises(MigrationError) as caught:
            await migrate(dsn, tmp_path)
        assert caught.value.version == 2
        assert "rolled back" in str(caught.value)
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = {r["tablename"] for r in rows}
            rows = await conn.fetch("SELECT version FROM schema_migrations")
            versions = [r["version"] for r in rows]
        finally:
            await conn.close()
        assert "first_table" in tables
        assert "half_done" not in tables
        assert versions == [1]
        # Fixing the file lets the next run pick up where it stopped.
        (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half_done (id int);")
        assert [m.version for m in await migrate(dsn, tmp_path)] == [2]
    finally:
        await drop_database(pg_server_dsn, name)


def test_badly_named_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(StorageError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


# The next two tests write the same primary key. Sharing a database, the second would fail
# with a unique violation or see the first one's row; each asserts it sees only its own.
@pytest.mark.parametrize("writer", ["first", "second"])
async def test_tests_do_not_see_each_others_rows(db_pool: asyncpg.Pool, writer: str) -> None:
    assert await db_pool.fetchval("SELECT count(*) FROM instance_settings") == 0
    await instance.set_setting(db_pool, "shared-key", {"writer": writer})
    assert await instance.get_setting(db_pool, "shared-key") == {"writer": writer}
    assert await db_pool.fetchval("SELECT count(*) FROM instance_settings") == 1


async def test_two_open_databases_are_isolated(pg_server_dsn: str, template_database: str) -> None:
    a_name, a_dsn = await create_database(pg_server_dsn, template_database)
    b_name, b_dsn = await create_database(pg_server_dsn, template_database)
    try:
        a, b = await asyncpg.connect(a_dsn), await asyncpg.connect(b_dsn)
        try:
            await instance.set_setting(a, "k", 1)
            await instance.set_setting(b, "k", 2)
            assert await instance.get_setting(a, "k") == 1
            assert await instance.get_setting(b, "k") == 2
        finally:
            await a.close()
            await b.close()
    finally:
        await drop_database(pg_server_dsn, a_name)
        await drop_database(pg_server_dsn, b_name)
