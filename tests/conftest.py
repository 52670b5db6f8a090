"""The test rig: one PostgreSQL per test run, a migrated template database, and a fresh
database cloned from it for every test that asks for one (named fixtures, GoToSocial-style).

PostgreSQL is the embedded one (pgserver) unless ``TEST_DATABASE_URL`` (or ``DATABASE_URL``)
names another server, whose role must be allowed to CREATE DATABASE.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from federation.context import FederationContext
from server.app import create_app
from server.settings import Settings, load_settings
from storage.db import Database
from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate
from tests.peer import Peer
from tests.rig import create_database, drop_database, with_database


@pytest.fixture(scope="session")
def pg_server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of the PostgreSQL server this run uses (admin connection to its default db)."""
    external = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "postgres")
    dsn = embedded.start()
    try:
        yield dsn
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
async def template_database(pg_server_dsn: str) -> AsyncIterator[str]:
    """A database migrated once per run; each test's database is cloned from it."""
    name = f"peerhaven_tpl_{os.getpid()}"
    admin = await asyncpg.connect(pg_server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await migrate(with_database(pg_server_dsn, name))
        yield name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database_url(pg_server_dsn: str, template_database: str) -> AsyncIterator[str]:
    """DSN of a fresh, migrated database that only this test sees."""
    name, dsn = await create_database(pg_server_dsn, template_database)
    try:
        yield dsn
    finally:
        await drop_database(pg_server_dsn, name)


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an in-process app on this test's database."""
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "PEERHAVEN_DATA_DIR": str(tmp_path / "data"),
            "PEERHAVEN_BASE_URL": "http://127.0.0.1:8080",
            "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES": "true",
        }
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, settings.postgres_dir)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An async HTTP client talking to the ASGI app in process (no sync TestClient: its
    private event loop breaks asyncpg pools)."""
    app = create_app(settings, database, run_workers=False)
    transport = httpx.ASGITransport(app=app)
    # httpx does not run the ASGI lifespan; run it here so app.state is complete.
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http,
    ):
        yield http


@dataclass
class LiveServer:
    """Our app on a real uvicorn at 127.0.0.1:PORT; its queue workers are stepped by hand."""

    base_url: str
    app: Starlette
    pool: asyncpg.Pool

    @property
    def federation(self) -> FederationContext:
        return self.app.state.federation

    async def run_workers(self, rounds: int = 10) -> None:
        """Step the inbox and delivery workers until both find nothing to do."""
        for _ in range(rounds):
            done = await self.app.state.inbox_worker.run_once()
            done += await self.app.state.delivery_engine.run_once()
            if done == 0:
                return
        raise AssertionError(f"workers still busy after {rounds} rounds")


@asynccontextmanager
async def start_live_server(
    database_url: str,
    data_dir: Path,
    *,
    allow_private: bool = True,
    host: str = "127.0.0.1",
    env: dict[str, str] | None = None,
) -> AsyncIterator[LiveServer]:
    """``host``: another loopback address (127.0.0.2) is another domain for our server;
    ``env``: more settings (``PEERHAVEN_*``)."""
    sock = socket.socket()
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "PEERHAVEN_DATA_DIR": str(data_dir),
            "PEERHAVEN_BASE_URL": f"http://{host}:{port}",
            "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES": "true" if allow_private else "false",
            **(env or {}),
        }
    )
    db = Database(settings.database_url, settings.postgres_dir)
    await db.open()
    app = create_app(settings, db, run_workers=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield LiveServer(settings.base_url, app, db.pool)
    finally:
        server.should_exit = True
        await task
        sock.close()
        await db.close()


@pytest.fixture
async def live_server(database_url: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """Our server on 127.0.0.1 that may contact loopback peers (as tests and demos allow)."""
    async with start_live_server(database_url, tmp_path / "data") as server:
        yield server


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    """A fediverse peer at http://localhost:PORT with one actor, ``alice``."""
    remote = await Peer("localhost").start()
    remote.add_actor("alice")
    try:
        yield remote
    finally:
        await remote.close()
