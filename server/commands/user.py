"""``peerhaven user create|follow|verify|unverify``: staff accounts (``Person`` actors)."""

from __future__ import annotations

import argparse
import asyncio

from federation.following import follow_remote
from federation.local import LocalActorError, create_actor
from federation.remote import RemoteError
from federation.urls import LocalUrls
from server.commands import verification
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    open_federation,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors

NAME = "user"
HELP = "create staff accounts and follow remote actors as them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a staff account and print its actor URL")
    create.add_argument("username")
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--role", choices=["admin", "moderator", "professional"], help="staff role")
    follow = sub.add_parser("follow", help="follow a remote actor (the server delivers it)")
    follow.add_argument("username", help="the local account that follows")
    follow.add_argument("target", help="the remote actor's URL")
    for p in (create, follow):
        add_data_dir_argument(p)
        add_base_url_argument(p)
    verification.add_user_parsers(sub)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    if args.user_command in verification.USER_ACTIONS:
        print(asyncio.run(verification.run_user(settings, args)))
        return 0
    action = _create if args.user_command == "create" else _follow
    print(asyncio.run(action(settings, args)))
    return 0


async def _create(settings: Settings, args: argparse.Namespace) -> str:
    async with open_database(settings) as database:
        try:
            user = await create_actor(
                database.pool, kind="Person", username=args.username, name=args.name,
                role=args.role,
            )  # fmt: skip
        except LocalActorError as exc:
            raise CommandError(str(exc)) from None
    return LocalUrls(settings.base_url).actor("Person", user.username)


async def _follow(settings: Settings, args: argparse.Namespace) -> str:
    async with open_federation(settings) as ctx:
        local = await actors.local_actor_by_username(ctx.pool, args.username)
        if local is None or local.kind != "Person":
            raise CommandError(f"no local account named {args.username!r}")
        try:
            follow = await follow_remote(ctx, local, args.target)
        except RemoteError as exc:
            raise CommandError(f"cannot follow {args.target}: {exc}") from None
    return f"follow {follow.state}: {follow.follower_uri} -> {follow.followee_uri}"
