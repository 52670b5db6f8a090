"""Flags and set-up shared by the subcommands."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from federation.context import FederationContext
from federation.urls import LocalUrls
from server.app import build_federation
from server.errors import CommandError
from server.settings import Settings, load_settings
from storage.db import Database


def cli_who() -> str:
    """How the audit log names an action taken on the command line: the system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record_id(value: str) -> int:
    """An argparse type: a row id (a positive integer PostgreSQL's bigint holds)."""
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**63:
        raise argparse.ArgumentTypeError(f"{value!r} is not an id (a positive whole number)")
    return int(value)


def days(value: str) -> float:
    """An argparse type: a duration in days, above 0 and up to a hundred years."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number <= 36500:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days from 0 to 36500")
    return number


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data directory (PEERHAVEN_DATA_DIR, default ./data)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {
        name: getattr(args, name, None)
        for name in ("base_url", "host", "port", "data_dir", "processes")
    }
    settings = load_settings(**overrides)
    logging.basicConfig(
        level=settings.log_level_number,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pgserver narrates every initdb/pg_ctl call at INFO; keep only its warnings.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, settings.log_level_number))
    return settings


def ensure_data_dir(settings: Settings) -> None:
    """Create the data directory and prove we can write to it, before anything else starts."""
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"data directory {path} cannot be written: {reason}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise CommandError(f"data directory {path} cannot be written")


def add_base_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="public base URL (PEERHAVEN_BASE_URL)")


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The database for a one-shot command (migrated, like the server's)."""
    database = Database(settings.database_url, settings.postgres_dir, pool_size=2)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def open_federation(settings: Settings) -> AsyncIterator[FederationContext]:
    """The database and the federation context for a command that sends or fetches; the
    outgoing HTTP session is closed on the way out."""
    async with open_database(settings) as database:
        ctx = await build_federation(settings, database, LocalUrls(settings.base_url))
        try:
            yield ctx
        finally:
            await ctx.fetcher.close()
