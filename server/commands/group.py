"""``peerhaven group create|list``: support groups (ActivityPub ``Group`` actors)."""

from __future__ import annotations

import argparse
import asyncio

from federation.local import LocalActorError, create_actor
from federation.urls import LocalUrls
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors

NAME = "group"
HELP = "create and list support groups"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="group_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a group and print its actor URL")
    create.add_argument("slug", help="the group's name in its handle: @SLUG@host")
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--summary", default="", help="short description")
    create.add_argument(
        "--approval", action="store_true", help="a moderator approves each new member"
    )
    listing = sub.add_parser("list", help="list the groups")
    for p in (create, listing):
        add_data_dir_argument(p)
        add_base_url_argument(p)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    if args.group_command == "create":
        print(asyncio.run(_create(settings, args)))
    else:
        for line in asyncio.run(_list(settings)):
            print(line)
    return 0


async def _create(settings: Settings, args: argparse.Namespace) -> str:
    async with open_database(settings) as database:
        try:
            group = await create_actor(
                database.pool,
                kind="Group",
                username=args.slug,
                name=args.name,
                summary=args.summary,
                manually_approves_followers=args.approval,
            )
        except LocalActorError as exc:
            raise CommandError(str(exc)) from None
    return LocalUrls(settings.base_url).actor("Group", group.username)


async def _list(settings: Settings) -> list[str]:
    urls = LocalUrls(settings.base_url)
    async with open_database(settings) as database:
        groups = await actors.list_local_actors(database.pool, "Group")
    if not groups:
        return ["no groups yet: peerhaven group create SLUG --name NAME"]
    return [
        f"@{g.username}@{urls.domain}\t{urls.actor('Group', g.username)}\t{g.name}"
        + ("\t(approval)" if g.manually_approves_followers else "")
        for g in groups
    ]
