"""``peerhaven anonymous ...``: anonymous submissions from the command line, as the admin API
does them: list (the text, never the author), approve, decline, unseal (with a reason,
audited) and ban the author through the post without unsealing."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from federation import anonymous
from federation.anonymous import AnonymousError
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    cli_who,
    days,
    ensure_data_dir,
    open_federation,
    record_id,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors
from storage import anonymous as store

NAME = "anonymous"
HELP = "anonymous submissions: list, approve, decline, unseal the author, ban the author"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="anonymous_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="submissions waiting (the text, not the author)")
    listing.add_argument("slug", nargs="?", help="only this group's")
    listing.add_argument(
        "--state", choices=["pending", "approved", "declined", "all"], default="pending"
    )
    approve = sub.add_parser("approve", help="the group publishes it; the author is told")
    decline = sub.add_parser("decline", help="not published; the author is told with the note")
    for p in (approve, decline):
        p.add_argument("id", type=record_id)
        p.add_argument("--note", default="", help="the moderator's note")
    unseal = sub.add_parser("unseal", help="show who wrote it (audited with the reason)")
    unseal.add_argument("id", type=record_id)
    unseal.add_argument("--reason", required=True, help="why the author must be known")
    ban = sub.add_parser("ban", help="ban the author from the group without showing who")
    ban.add_argument("post", help="the submission's id or the published note's URL")
    ban.add_argument("--reason", default="", help="told to the author with refused posts")
    ban.add_argument("--days", type=days, help="the ban ends after this many days")
    for p in (listing, approve, decline, unseal, ban):
        add_data_dir_argument(p)
        add_base_url_argument(p)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    for line in asyncio.run(_run(settings, args)):
        print(line)
    return 0


async def _run(settings: Settings, args: argparse.Namespace) -> list[str]:
    async with open_federation(settings) as ctx:
        try:
            action = args.anonymous_command
            if action == "list":
                group_ids = None
                if args.slug:
                    group = await actors.local_actor_by_username(ctx.pool, args.slug)
                    if group is None or group.kind != "Group":
                        raise CommandError(f"no group named {args.slug!r}")
                    group_ids = [group.id]
                state = None if args.state == "all" else args.state
                found = await store.listing(ctx.pool, group_ids, state=state)
                return [
                    f"{s.id}\t{s.state}\t{s.received_at:%Y-%m-%d %H:%M}\t{s.content!r}"
                    for s in found
                ] or ["no anonymous submissions"]
            if action in ("approve", "decline"):
                decide = anonymous.approve if action == "approve" else anonymous.decline
                outcome = await decide(ctx, args.id, who=cli_who(), note=args.note)
                published = outcome.submission.note_uri
                return [f"{action}d: {args.id}" + (f" -> {published}" if published else "")]
            if action == "unseal":
                unsealed = await anonymous.unseal(ctx, args.id, who=cli_who(), reason=args.reason)
                return [f"{unsealed.seal.actor_uri}\t{unsealed.handle or ''}".rstrip()]
            is_id = args.post.isascii() and args.post.isdigit()
            submission, group = await anonymous.submission_and_group(
                ctx, int(args.post) if is_id else None, None if is_id else args.post
            )
            ends = datetime.now(UTC) + timedelta(days=args.days) if args.days is not None else None
            await anonymous.ban_author(
                ctx, submission, group, who=cli_who(), reason=args.reason, ends_at=ends
            )
            return [f"banned the author of anonymous submission {submission.id}"]
        except AnonymousError as exc:
            raise CommandError(str(exc)) from None
