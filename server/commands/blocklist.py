"""``peerhaven blocklist ...``: import, export, subscribe, sync, review and explain the
instance's domain blocklist (the same code as the admin API's ``/blocklist/...``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from pathlib import Path
from typing import Any

from moderation.blocklists import service, subscriptions
from moderation.blocklists.formats import EXPORTS, FORMATS, export
from moderation.blocklists.service import BlocklistError
from server.blocklists import enforcer_for, fetcher_for
from server.commands.common import (
    add_data_dir_argument,
    cli_who,
    ensure_data_dir,
    open_federation,
    settings_from_args,
)
from server.errors import CommandError
from storage import blocklists

NAME = "blocklist"
HELP = "import, export, subscribe to and review shared domain blocklists"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="blocklist_command", metavar="ACTION", required=True)
    imp = sub.add_parser("import", help="read a list (a file or URL); --apply puts it in force")
    imp.add_argument("source", metavar="FILE_OR_URL")
    imp.add_argument("--format", choices=FORMATS, help="default: detected")
    imp.add_argument("--apply", action="store_true", help="put it in force (default: preview)")
    imp.add_argument("--allow", action="store_true", help="it is an allowlist")
    exp = sub.add_parser("export", help="print the effective list")
    exp.add_argument("--format", choices=EXPORTS, default="mastodon-csv")
    subs = sub.add_parser("subscribe", help="subscribe to a published list")
    subs.add_argument("url")
    subs.add_argument("--name")
    subs.add_argument("--trust", type=_weight, default=1.0, help="weight in the consensus (1)")
    subs.add_argument("--severity-cap", choices=("noop", "silence", "suspend"), default="suspend")
    subs.add_argument("--refresh-hours", type=float, default=24.0)
    subs.add_argument("--format", choices=FORMATS)
    subs.add_argument("--auto-apply", action="store_true")
    sync = sub.add_parser("sync", help="fetch every subscription now and propose changes")
    pending = sub.add_parser("pending", help="pending changes with their impact")
    approve = sub.add_parser("approve", help="apply pending changes")
    approve.add_argument("ids", nargs="*", type=int)
    approve.add_argument("--all", action="store_true")
    dismiss = sub.add_parser("dismiss", help="dismiss pending changes (until the sources change)")
    dismiss.add_argument("ids", nargs="+", type=int)
    release = sub.add_parser("release", help="accept a subscription's held fetch")
    release.add_argument("name")
    why = sub.add_parser("why", help="what blocks a domain, since when, on whose word")
    why.add_argument("domain")
    for each in (imp, exp, subs, sync, pending, approve, dismiss, release, why):
        add_data_dir_argument(each)


def _weight(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("a trust weight is a number from 0")
    return value


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    try:
        result = asyncio.run(_run(settings, args))
    except BlocklistError as exc:
        raise CommandError(str(exc)) from None
    if isinstance(result, str):
        sys.stdout.write(result if result.endswith("\n") or not result else result + "\n")
    else:
        print(json.dumps(result, indent=2))
    return 0


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rwriting {done}/{total} blocks", end="" if done < total else "\n",
              file=sys.stderr, flush=True)  # fmt: skip


def _source_progress(name: str, outcome: str) -> None:
    if sys.stderr.isatty():
        print(f"{name}: {outcome}", file=sys.stderr, flush=True)


async def _read(ctx: Any, source: str) -> str:
    if source.startswith(("https://", "http://")):
        return (await fetcher_for(ctx)(source, {})).text
    try:
        return await asyncio.to_thread(Path(source).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{source}: cannot be read: {exc}") from None


async def _run(settings: Any, args: argparse.Namespace) -> Any:
    command, who = args.blocklist_command, cli_who()
    async with open_federation(settings) as ctx:
        pool, enforce = ctx.pool, enforcer_for(ctx)
        if command == "import":
            report = await service.import_list(
                pool, await _read(ctx, args.source), fmt=args.format, name=args.source,
                apply=args.apply, allow=args.allow, who=who, enforce=enforce,
                progress=_progress,
            )  # fmt: skip
            return report.as_json()
        if command == "export":
            rows = await blocklists.blocks(pool)
            return export([service.entry_of(r) for r in rows], args.format)
        if command == "subscribe":
            source = await subscriptions.subscribe(
                pool, args.url, name=args.name, fmt=args.format, trust=args.trust,
                severity_cap=args.severity_cap, refresh_seconds=int(args.refresh_hours * 3600),
                auto_apply=args.auto_apply, who=who,
            )  # fmt: skip
            return {"subscribed": source.name, "url": source.url}
        if command == "sync":
            report = await subscriptions.sync(
                pool, fetcher_for(ctx), enforce=enforce, who=who, force=True,
                on_source=_source_progress,
            )  # fmt: skip
            return report.as_json()
        if command == "pending":
            return await subscriptions.review(pool)
        if command == "approve":
            if not args.ids and not args.all:
                raise CommandError("give change ids, or --all")
            return await subscriptions.approve(
                pool, None if args.all else args.ids, who=who, enforce=enforce
            )
        if command == "dismiss":
            return {"dismissed": await subscriptions.dismiss(pool, args.ids, who=who)}
        if command == "release":
            return (
                await subscriptions.release(pool, args.name, enforce=enforce, who=who)
            ).as_json()
        return await service.why(pool, args.domain)
