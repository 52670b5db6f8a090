"""``peerhaven audit``: the moderation audit log, newest first, optionally for one target."""

from __future__ import annotations

import argparse
import asyncio
import json

from server.commands.common import (
    add_data_dir_argument,
    ensure_data_dir,
    open_database,
    settings_from_args,
)
from server.settings import Settings
from storage import audit
from storage.audit import Entry

NAME = "audit"
HELP = "show the moderation audit log (who did what, to what, why, and when)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir_argument(parser)
    parser.add_argument("--target", help="only entries about this URL (or domain)")
    parser.add_argument("--action", help="only this action (e.g. policy_reject, member_ban)")
    parser.add_argument("--limit", type=int, default=200, help="at most this many (200)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    entries = asyncio.run(_entries(settings, args.target, args.action, max(1, args.limit)))
    for entry in entries:
        print(json.dumps(entry.as_json()) if args.json else render(entry))
    if not entries and not args.json:
        print("no audit entries" + (f" for {args.target}" if args.target else ""))
    return 0


async def _entries(
    settings: Settings, target: str | None, action: str | None, limit: int
) -> list[Entry]:
    async with open_database(settings) as database:
        return await audit.entries(database.pool, target=target, action=action, limit=limit)


def render(entry: Entry) -> str:
    source = f" [{entry.source}]" if entry.source else ""
    reason = f": {entry.reason}" if entry.reason else ""
    return f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.who} {entry.action} {entry.target}{source}{reason}"
