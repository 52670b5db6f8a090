"""``peerhaven group ...``: support groups (ActivityPub ``Group`` actors) and their moderation:
create, list, answer follow requests, ban and unban members, remove relayed posts."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from federation import group_settings, membership, moderation_team, pins, relay
from federation.anonymous import check_keyword
from federation.context import FederationContext
from federation.local import LocalActorError
from federation.remote import RemoteError
from federation.urls import LocalUrls
from server import new_group
from server.commands import verification
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    cli_who,
    ensure_data_dir,
    open_database,
    open_federation,
    settings_from_args,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors, moderators
from storage.actors import LocalActor

NAME = "group"
HELP = "create and moderate support groups"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="group_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a group and print its actor URL")
    create.add_argument("slug", help="the group's name in its handle: @SLUG@host")
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--summary", default="", help="short description")
    create.add_argument(
        "--approval", action="store_true", help="a moderator approves each new member"
    )
    create.add_argument(
        "--content-warnings", choices=new_group.CONTENT_WARNINGS, default="add",
        help="posts on suicide, self-harm, eating disorders or abuse without a content "
        "warning: add one naming the topic (default) or hold them for a moderator",
    )  # fmt: skip
    listing = sub.add_parser("list", help="list the groups")
    requests = sub.add_parser("requests", help="list a group's pending follow requests")
    requests.add_argument("slug")
    approve = sub.add_parser("approve", help="accept a follow request (sends Accept)")
    reject = sub.add_parser("reject", help="refuse a follow request (sends Reject)")
    for p in (approve, reject):
        p.add_argument("slug")
        p.add_argument("actor", help="the requesting actor's URL")
    approve.add_argument(
        "--confirm-new-instance", action="store_true",
        help="members-only groups: allow the first member from a server with none yet",
    )  # fmt: skip
    ban = sub.add_parser("ban", help="ban a member (sends Block; later posts are refused)")
    unban = sub.add_parser("unban", help="lift a ban (sends Undo(Block))")
    for p in (ban, unban):
        p.add_argument("slug")
        p.add_argument("actor", help="the member's actor URL")
    ban.add_argument("--reason", default="", help="told to the member with refused posts")
    ban.add_argument("--days", type=float, help="the ban ends after this many days")
    settings = sub.add_parser("set", help="change settings (an Update reaches the followers)")
    settings.add_argument("slug")
    settings.add_argument("--name")
    settings.add_argument("--summary")
    settings.add_argument("--rule", action="append", help="a rule (repeat; replaces the list)")
    settings.add_argument("--icon", help="the URL of the group's icon")
    settings.add_argument("--membership", choices=["open", "approval"])
    settings.add_argument(
        "--posting", choices=["members", "anyone", "moderators"], help="who may post"
    )
    settings.add_argument("--replies", choices=["all", "top-level"], help="replies relayed")
    settings.add_argument(
        "--visibility", choices=["public", "members"], help="members: a members-only group"
    )
    settings.add_argument("--discoverable", choices=["yes", "no"])
    settings.add_argument("--hide-members", choices=["yes", "no"])
    settings.add_argument(
        "--anonymous-keyword", help="the word opening a member's anonymous post (!anon)"
    )
    mods = sub.add_parser("moderators", help="list a group's moderators")
    mods.add_argument("slug")
    add_mod = sub.add_parser("add-moderator", help="make an account a moderator (sends Add)")
    remove_mod = sub.add_parser("remove-moderator", help="end a moderator's role (sends Remove)")
    for p in (add_mod, remove_mod):
        p.add_argument("slug")
        p.add_argument("actor", help="the account's actor URL (local staff or remote)")
    pin = sub.add_parser("pin", help="pin a post or a link to the group (sends Add)")
    unpin = sub.add_parser("unpin", help="unpin it (sends Remove)")
    for p in (pin, unpin):
        p.add_argument("slug")
        p.add_argument("url", help="a post's id or any http(s) link")
    pin.add_argument("--title", help="the link's title")
    remove = sub.add_parser(
        "remove", help="take a relayed post out of the group (Undo(Announce) to members)"
    )
    remove.add_argument("slug")
    remove.add_argument("object", help="the post's URL (its id)")
    for p in (create, listing, requests, approve, reject, ban, unban, remove, settings, mods,
              add_mod, remove_mod, pin, unpin):  # fmt: skip
        add_data_dir_argument(p)
        add_base_url_argument(p)
    verification.add_group_parsers(sub)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    if args.group_command == "create":
        print(asyncio.run(_create(settings, args)))
    elif args.group_command == "list":
        for line in asyncio.run(_list(settings)):
            print(line)
    elif args.group_command in verification.GROUP_ACTIONS:
        print(asyncio.run(verification.run_group(settings, args)))
    else:
        for line in asyncio.run(_membership(settings, args)):
            print(line)
    return 0


async def _membership(settings: Settings, args: argparse.Namespace) -> list[str]:
    async with open_federation(settings) as ctx:
        group = await actors.local_actor_by_username(ctx.pool, args.slug)
        if group is None or group.kind != "Group":
            raise CommandError(f"no group named {args.slug!r}")
        if args.group_command == "requests":
            pending = await membership.pending_requests(ctx, group)
            return [f"{f.follower_uri}\t{f.created_at:%Y-%m-%d %H:%M}" for f in pending] or [
                "no pending requests"
            ]
        try:
            return [await _moderate(ctx, group, args)]
        except (
            membership.MembershipError, moderation_team.ModeratorError, pins.PinError,
            RemoteError,
        ) as exc:  # fmt: skip
            raise CommandError(str(exc)) from None


async def _moderate(ctx: FederationContext, group: LocalActor, args: argparse.Namespace) -> str:
    action = args.group_command
    if action in ("approve", "reject"):
        await membership.answer(
            ctx, group, args.actor, approve=action == "approve",
            confirm_new_instance=getattr(args, "confirm_new_instance", False),
        )  # fmt: skip
        return f"{'approved' if action == 'approve' else 'rejected'}: {args.actor}"
    if action == "ban":
        ends = datetime.now(UTC) + timedelta(days=args.days) if args.days else None
        await membership.ban(
            ctx, group, args.actor, reason=args.reason, ends_at=ends, who=cli_who()
        )
        return f"banned: {args.actor}" + (f" until {ends:%Y-%m-%d %H:%M} UTC" if ends else "")
    if action == "set":
        changes = setting_changes(args)
        if not changes:
            raise CommandError("nothing to change: give at least one setting")
        updated = await group_settings.change(ctx, group, changes)
        shown = {**changes, **{k: getattr(updated, k) for k in changes if hasattr(updated, k)}}
        return "updated: " + ", ".join(f"{k}={shown[k]!r}" for k in sorted(shown))
    if action in ("pin", "unpin"):
        title = getattr(args, "title", None)
        await pins.change(ctx, group, args.url, title=title, pin=action == "pin")
        return f"{action}ned: {args.url}"
    if action == "moderators":
        return "\n".join(await moderators.of_group(ctx.pool, group.id)) or "no moderators"
    if action in ("add-moderator", "remove-moderator"):
        await moderation_team.change(ctx, group, args.actor, add=action == "add-moderator")
        return f"{'added' if action == 'add-moderator' else 'removed'} moderator: {args.actor}"
    if action == "unban":
        await membership.unban(ctx, group, args.actor, who=cli_who())
        return f"unbanned: {args.actor}"
    if not await relay.remove(ctx, group, args.object, who=cli_who()):
        raise CommandError(f"{group.username} has not relayed {args.object}")
    return f"removed: {args.object}"


def setting_changes(args: argparse.Namespace) -> dict[str, object]:
    yes = {"yes": True, "no": False}
    changes: dict[str, object] = {
        "name": args.name,
        "summary": args.summary,
        "rules": tuple(args.rule) if args.rule else None,
        "icon_url": args.icon,
        "manually_approves_followers": (
            None if args.membership is None else args.membership == "approval"
        ),
        "posting": args.posting,
        "replies": args.replies,
        "visibility": args.visibility,
        "discoverable": yes.get(args.discoverable) if args.discoverable else None,
        "hide_followers": yes.get(args.hide_members) if args.hide_members else None,
        "anonymous_keyword": args.anonymous_keyword,
    }
    if args.anonymous_keyword is not None:
        why = check_keyword(args.anonymous_keyword)
        if why is not None:
            raise CommandError(f"--anonymous-keyword {why}")
    if args.icon is not None and not args.icon.startswith(("https://", "http://")):
        raise CommandError("--icon must be an http(s) URL")
    return {k: v for k, v in changes.items() if v is not None}


async def _create(settings: Settings, args: argparse.Namespace) -> str:
    async with open_database(settings) as database:
        try:
            group = await new_group.create_group(
                database.pool,
                slug=args.slug,
                name=args.name,
                summary=args.summary,
                approval=args.approval,
                content_warnings=args.content_warnings,
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
