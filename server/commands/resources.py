"""``peerhaven resources``: the crisis resources directory. ``import PATH`` reads published
helpline directories (open-helplines, the Wikipedia-derived list); ``list`` shows them with
their source and date; ``for --lang L [--country C]`` shows the lines a person writing in
that language would be given (the instance's country by default)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from moderation.crisis.resources import Resource, choose, read_directory
from server.commands.common import (
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import resources

NAME = "resources"
HELP = "crisis lines and other resources shown to people in distress"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="resources_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="read helpline directories under PATH")
    imp.add_argument("path")
    listing = sub.add_parser("list", help="the directory, with sources and dates")
    listing.add_argument("--country")
    pick = sub.add_parser("for", help="the lines a person would be given")
    pick.add_argument("--lang", required=True)
    pick.add_argument("--country", help="default: PEERHAVEN_DEFAULT_COUNTRY")
    for each in (imp, listing, pick):
        add_data_dir_argument(each)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    if args.resources_command == "import" and not Path(args.path).is_dir():
        raise CommandError(f"{args.path}: not a directory")
    print(json.dumps(asyncio.run(_run(settings, args)), indent=2, ensure_ascii=False))
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> Any:
    async with open_database(settings) as database:
        pool = database.pool
        if args.resources_command == "import":
            found = await asyncio.to_thread(read_directory, Path(args.path))
            written = await resources.add_many(pool, [r.row() for r in found])
            return {"read": len(found), "written": written}
        if args.resources_command == "list":
            rows = await resources.listing(pool, country=(args.country or "").upper() or None)
            return [_public(r) for r in rows]
        country = args.country or settings.default_country
        return [_public(r.row()) for r in choose(await stored(pool), args.lang, country)]


async def stored(pool: Any) -> list[Resource]:
    return [Resource.from_row(r) for r in await resources.listing(pool)]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("country", "name", "kind", "phone", "url", "hours", "languages", "source",
            "checked_on")  # fmt: skip
    return {k: list(row[k]) if k == "languages" else row[k] for k in keys}
