"""The database handle the server holds: where PostgreSQL is, the migrations, the pool.

With no DSN given it starts the embedded PostgreSQL (``storage.embedded``); either way it
migrates before opening the pool, so a server never serves on an old schema.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from storage.embedded import EmbeddedPostgres
from storage.errors import StorageError
from storage.migrate import migrate

CONNECT_TIMEOUT = 10.0
HEALTH_TIMEOUT = 2.0


class Database:
    """Owns the connection pool and, when embedded, the PostgreSQL process."""

    def __init__(self, dsn: str | None, embedded_dir: Path, *, pool_size: int = 10) -> None:
        self._dsn = dsn
        self._embedded = EmbeddedPostgres(embedded_dir) if dsn is None else None
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("the database is not open")
        return self._pool

    @property
    def dsn(self) -> str:
        if self._dsn is None:
            raise StorageError("the database is not open")
        return self._dsn

    async def open(self, *, run_migrations: bool = True) -> None:
        if self._embedded is not None:
            # pgserver blocks while postgres starts; keep the event loop free meanwhile.
            self._dsn = await asyncio.to_thread(self._embedded.start)
        await check_reachable(self.dsn)
        if run_migrations:
            await migrate(self.dsn)
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self._pool_size,
            timeout=CONNECT_TIMEOUT,
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)
            self._dsn = None

    async def healthy(self) -> bool:
        if self._pool is None:
            return False
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                return await self._pool.fetchval("SELECT 1") == 1
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's reset round trip (``RESET ALL; UNLISTEN *; ...``).

    Safe because nothing here leaves session state on a pooled connection: advisory locks are
    taken on dedicated connections, and the one LISTEN removes its listener before release.
    asyncpg still rolls back an open transaction and drops Python-side listeners itself."""
    del conn


async def check_reachable(dsn: str) -> None:
    """Connect once and turn any failure into one clear line (never echoing a password)."""
    where = describe_dsn(dsn)
    try:
        conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, socket.gaierror) as exc:
        raise StorageError(f"cannot reach PostgreSQL at {where}: {_reason(exc)}") from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageError(f"PostgreSQL at {where} refused the connection: {exc}") from None
    except ValueError as exc:
        raise StorageError(f"DATABASE_URL cannot be used: {exc}") from None
    await conn.close()


def describe_dsn(dsn: str) -> str:
    """host:port/dbname of a DSN, without credentials, for error messages."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "<unparseable DATABASE_URL>"
    return f"{host}:{port}{parts.path or '/'}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
