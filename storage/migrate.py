"""Plain numbered SQL migrations (``NNNN_name.sql``), each applied in its own transaction.

Applied versions are recorded in ``schema_migrations``. Concurrent migrators (several server
processes starting at once) are serialized with a session advisory lock taken and released on
the *same* dedicated connection: an advisory lock taken through a pool can be released on a
different pooled connection and silently leak (a trap our anchors fell into).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

from storage.errors import MigrationError, StorageError

# Arbitrary constant: "peerhaven migrate" as a 63-bit key for pg_advisory_lock.
_MIGRATION_LOCK_KEY = 0x7065657248617665
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def default_migrations_dir() -> Path:
    return Path(str(resources.files("storage") / "migrations"))


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Read ``NNNN_name.sql`` files in version order; refuse duplicates and stray files."""
    directory = directory or default_migrations_dir()
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if match is None:
            raise StorageError(f"migration file name {path.name!r} is not NNNN_name.sql")
        version = int(match.group(1))
        if version in migrations:
            raise StorageError(f"two migrations share version {version:04d}")
        migrations[version] = Migration(version, match.group(2), path.read_text("utf-8"))
    return [migrations[v] for v in sorted(migrations)]


async def applied_versions(conn: asyncpg.Connection) -> set[int]:
    await conn.execute(_BOOKKEEPING)
    rows = await conn.fetch("SELECT version FROM schema_migrations")
    return {row["version"] for row in rows}


async def migrate(dsn: str, directory: Path | None = None) -> list[Migration]:
    """Apply every pending migration; return those applied (empty when up to date)."""
    migrations = load_migrations(directory)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
        try:
            return await _apply_pending(conn, migrations)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    finally:
        await conn.close()


async def _apply_pending(conn: asyncpg.Connection, migrations: list[Migration]) -> list[Migration]:
    done = await applied_versions(conn)
    applied: list[Migration] = []
    for migration in migrations:
        if migration.version in done:
            continue
        try:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
        except asyncpg.PostgresError as exc:
            raise MigrationError(migration.version, migration.name, str(exc)) from exc
        applied.append(migration)
    return applied
