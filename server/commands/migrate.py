"""``peerhaven migrate``: apply pending schema migrations and say which."""

from __future__ import annotations

import argparse
import asyncio

from server.commands.common import add_data_dir_argument, ensure_data_dir, settings_from_args
from storage.db import Database
from storage.migrate import migrate

NAME = "migrate"
HELP = "apply pending database migrations"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    applied = asyncio.run(_migrate(Database(settings.database_url, settings.postgres_dir)))
    if not applied:
        print("database schema is up to date")
    for name in applied:
        print(f"applied {name}")
    return 0


async def _migrate(database: Database) -> list[str]:
    await database.open(run_migrations=False)
    try:
        return [f"{m.version:04d}_{m.name}" for m in await migrate(database.dsn)]
    finally:
        await database.close()
