"""ASGI app factory: routes, and a lifespan that owns the database and background workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from server import health, pages
from server.settings import Settings
from storage.db import Database


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    """Build the app. A ``database`` given here is already open and owned by the caller
    (the CLI opens it first so start-up errors are one clear line); otherwise the lifespan
    opens it (starting the embedded PostgreSQL when ``DATABASE_URL`` is unset) and closes it.
    """
    owns_database = database is None
    db = database or Database(settings.database_url, settings.postgres_dir)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owns_database:
            await db.open()
        try:
            yield
        finally:
            if owns_database:
                await db.close()

    app = Starlette(
        routes=[
            Route("/", pages.index, methods=["GET"]),
            Route("/healthz", health.healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    return app
