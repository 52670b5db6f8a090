"""``peerhaven post USER TEXT [--group SLUG]``: a staff account's post (delivered by the
running server); ``--delete NOTE_URL`` deletes one."""

from __future__ import annotations

import argparse
import asyncio

from federation import posting
from federation.remote import RemoteError
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    ensure_data_dir,
    open_federation,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors

NAME = "post"
HELP = "publish (or delete) a staff account's public note"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("username", help="the staff account")
    parser.add_argument("text", nargs="?", help="the note's text")
    parser.add_argument(
        "--group", help="a group here (its name) or elsewhere (its actor URL): the note mentions it"
    )
    parser.add_argument("--delete", metavar="NOTE_URL", help="delete this note instead")
    add_data_dir_argument(parser)
    add_base_url_argument(parser)


def run(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.delete is None):
        raise CommandError("give either the note's text or --delete NOTE_URL")
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    print(asyncio.run(_post(settings, args)))
    return 0


async def _post(settings: Settings, args: argparse.Namespace) -> str:
    async with open_federation(settings) as ctx:
        author = await actors.local_actor_by_username(ctx.pool, args.username)
        if author is None or author.kind != "Person":
            raise CommandError(f"no local account named {args.username!r}")
        try:
            if args.delete is not None:
                if not await posting.delete(ctx, author, args.delete):
                    raise CommandError(f"{args.delete} is not a post of {args.username}")
                return f"deleted: {args.delete}"
            group = args.group
            if group is not None and "://" not in group:
                found = await actors.local_actor_by_username(ctx.pool, group)
                if found is None or found.kind != "Group":
                    raise CommandError(f"no group named {group!r}")
                group = ctx.urls.actor("Group", group)
            note = await posting.publish(ctx, author, args.text, group)
            return str(note["id"])
        except RemoteError as exc:
            raise CommandError(f"cannot reach {exc.detail}") from None
