"""The ASGI app in process: the index page and the health check."""

from __future__ import annotations

import httpx

from server.app import create_app
from server.settings import Settings
from storage.db import Database
from tests.rig import create_database, drop_database


async def test_index_names_the_instance(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>PeerHaven</h1>" in response.text
    assert "127.0.0.1:8080" in response.text


async def test_healthz_reports_database_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_database_is_gone(
    settings: Settings, pg_server_dsn: str, template_database: str
) -> None:
    name, dsn = await create_database(pg_server_dsn, template_database)
    db = Database(dsn, settings.postgres_dir)
    await db.open()
    try:
        app = create_app(settings, db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
            assert (await http.get("/healthz")).status_code == 200
            # Dropping the database WITH (FORCE) kills the pool's connections under it.
            await drop_database(pg_server_dsn, name)
            response = await http.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
    finally:
        await db.close()
        await drop_database(pg_server_dsn, name)


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/no-such-page")).status_code == 404
