"""``peerhaven post write|delete``: posts by staff accounts (delivered by the running server)."""

from __future__ import annotations

import argparse
import asyncio

from federation import posting
from federation.remote import RemoteError
from federation.urls import LocalUrls
from server.app import build_federation
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

NAME = "post"
HELP = "write or delete a staff account's post"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="post_command", metavar="ACTION", required=True)
    write = sub.add_parser("write", help="publish a public note and print its URL")
    write.add_argument("username")
    write.add_argument("text")
    write.add_argument("--group", help="a group's actor URL: the note mentions it")
    delete = sub.add_parser("delete", help="delete one of the account's notes")
    delete.add_argument("username")
    delete.add_argument("note", help="the note's URL")
    for p in (write, delete):
        add_data_dir_argument(p)
        add_base_url_argument(p)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    print(asyncio.run(_post(settings, args)))
    return 0


async def _post(settings: Settings, args: argparse.Namespace) -> str:
    async with open_database(settings) as database:
        author = await actors.local_actor_by_username(database.pool, args.username)
        if author is None or author.kind != "Person":
            raise CommandError(f"no local account named {args.username!r}")
        ctx = await build_federation(settings, database, LocalUrls(settings.base_url))
        try:
            if args.post_command == "write":
                note = await posting.publish(ctx, author, args.text, args.group)
                return str(note["id"])
            if not await posting.delete(ctx, author, args.note):
                raise CommandError(f"{args.note} is not a post of {args.username}")
            return f"deleted: {args.note}"
        except RemoteError as exc:
            raise CommandError(f"cannot reach {exc.detail}") from None
        finally:
            await ctx.fetcher.close()
