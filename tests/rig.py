"""Helpers of the test rig: databases created and dropped on the run's PostgreSQL server."""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_counter = itertools.count()


def with_database(dsn: str, name: str) -> str:
    """The same server DSN pointing at database ``name``."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(pg_server_dsn: str, template: str | None = None) -> tuple[str, str]:
    """Create a database (empty, or cloned from ``template``); return its name and DSN."""
    name = f"peerhaven_t_{os.getpid()}_{next(_counter)}"
    clause = f' TEMPLATE "{template}"' if template else ""
    admin = await asyncpg.connect(pg_server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    return name, with_database(pg_server_dsn, name)


async def drop_database(pg_server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(pg_server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
