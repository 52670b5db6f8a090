"""``peerhaven token create USER``: a bearer token for the admin API (shown once)."""

from __future__ import annotations

import argparse
import asyncio

from server.api.auth import STAFF_WHO_MAY_MODERATE, hash_token, new_token
from server.commands.common import (
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors, tokens

NAME = "token"
HELP = "create admin API tokens for staff accounts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="print a new token for an admin or moderator")
    create.add_argument("username")
    add_data_dir_argument(create)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    print(asyncio.run(_create(settings, args.username)))
    return 0


async def _create(settings: Settings, username: str) -> str:
    async with open_database(settings) as database:
        actor = await actors.local_actor_by_username(database.pool, username)
        if actor is None or actor.kind != "Person":
            raise CommandError(f"no staff account named {username!r}")
        if actor.role not in STAFF_WHO_MAY_MODERATE:
            raise CommandError(f"{username} is not an admin or moderator (--role at creation)")
        token = new_token()
        await tokens.add(database.pool, hash_token(token), actor.id)
    return token
