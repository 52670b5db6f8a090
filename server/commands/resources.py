"""``peerhaven resources``: the crisis resources directory. ``import PATH`` reads published
helpline directories (open-helplines, the Wikipedia-derived list); ``list`` shows them with
their source and date; ``for --lang L [--country C]`` shows the lines a person writing in
that language would be given (the instance's country by default); ``add`` and ``remove``
manage single entries (``--group SLUG``: a group's own); ``pin GROUP`` has the group publish
its lines and pin the post to its featured collection."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from moderation.crisis.messages import TEMPLATES
from moderation.crisis.resources import (
    KINDS,
    Resource,
    choose,
    is_country,
    is_language,
    read_directory,
    shown,
)
from server.commands.common import (
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    open_federation,
    record_id,
    settings_from_args,
)
from server.crisis_pin import pin_resources
from server.errors import CommandError
from server.settings import Settings
from storage import actors, audit, resources

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
    add = sub.add_parser("add", help="add a line or service (--group: a group's own)")
    add.add_argument("--country", required=True, help="ISO code, or INT")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", choices=KINDS, default="crisis_line")
    for option in ("--phone", "--url", "--hours", "--source", "--checked-on", "--group"):
        add.add_argument(option, default="")
    add.add_argument("--languages", default="", help="comma-separated, such as en,cy")
    remove = sub.add_parser("remove", help="remove an entry by its id (see list)")
    remove.add_argument("id", type=record_id)
    pin = sub.add_parser("pin", help="the group publishes its lines and pins the post")
    pin.add_argument("group")
    pin.add_argument("--lang", default="en", choices=tuple(TEMPLATES))
    for each in (imp, listing, pick, add, remove, pin):
        add_data_dir_argument(each)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    if args.resources_command == "import" and not Path(args.path).is_dir():
        raise CommandError(f"{args.path}: not a directory")
    if args.resources_command == "add":
        _check_add(args)
    print(json.dumps(asyncio.run(_run(settings, args)), indent=2, ensure_ascii=False))
    return 0


def _check_add(args: argparse.Namespace) -> None:
    """The same checks as the admin API's."""
    if not is_country(args.country, international=True):
        raise CommandError(f"--country {args.country!r}: a two-letter ISO code, or INT")
    if not args.phone and not args.url:
        raise CommandError("give --phone or --url")
    if args.url and not args.url.startswith(("https://", "http://")):
        raise CommandError(f"--url {args.url!r}: an http(s) URL")
    bad = [x for x in args.languages.split(",") if x.strip() and not is_language(x.strip())]
    if bad:
        raise CommandError(f"--languages: {', '.join(bad)}: language codes such as en, pt")
    if any("\x00" in str(v) for v in vars(args).values()):
        raise CommandError("an argument contains a NUL character")


async def _run(settings: Settings, args: argparse.Namespace) -> Any:
    if args.resources_command == "pin":
        return await _pin(settings, args)
    async with open_database(settings) as database:
        pool = database.pool
        if args.resources_command == "import":
            found = await asyncio.to_thread(read_directory, Path(args.path))
            written = await resources.add_many(pool, [r.row() for r in found])
            return {"read": len(found), "written": written}
        if args.resources_command == "list":
            rows = await resources.listing(pool, country=(args.country or "").upper() or None)
            return [shown(r) for r in rows]
        if args.resources_command == "add":
            return await _add(pool, args)
        if args.resources_command == "remove":
            if not await resources.remove(pool, args.id):
                raise CommandError(f"no resource {args.id}")
            await audit.record(pool, who="cli", action="resource_remove",
                               target=f"resource:{args.id}", reason="", details={})  # fmt: skip
            return {"removed": args.id}
        country = args.country or settings.default_country
        return [shown(r.row()) for r in choose(await stored(pool), args.lang, country)]


async def stored(pool: Any) -> list[Resource]:
    return [Resource.from_row(r) for r in await resources.listing(pool)]


async def _group_id(pool: Any, slug: str) -> int:
    group = await actors.local_actor_by_username(pool, slug)
    if group is None or group.kind != "Group":
        raise CommandError(f"no group {slug!r}")
    return group.id


async def _add(pool: Any, args: argparse.Namespace) -> dict[str, Any]:
    group_id = await _group_id(pool, args.group) if args.group else None
    row = Resource(
        args.country.upper(), args.name, args.kind, args.phone, args.url, args.hours,
        tuple(x.strip() for x in args.languages.split(",") if x.strip()),
        args.source or "added with peerhaven resources add", args.checked_on,
    ).row()  # fmt: skip
    await resources.add_many(pool, [row], group_id)
    await audit.record(
        pool, who="cli", action="resource_add", target=args.group or "instance", reason="",
        details={"name": args.name, "country": row["country"]},
    )  # fmt: skip
    return {"added": row["name"], "group": args.group or None}


async def _pin(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    async with open_federation(settings) as ctx:
        group_id = await _group_id(ctx.pool, args.group)
        group = await actors.local_actor_by_id(ctx.pool, group_id)
        assert group is not None
        note, title = await pin_resources(ctx, group, args.lang, settings.base_url, who="cli")
        return {"note": note, "title": title}
