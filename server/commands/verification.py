"""Verified roles on the command line: ``peerhaven user verify|unverify`` (a professional
staff account, on an admin's word) and ``peerhaven group verify|unverify`` (a member marked
as a verified peer supporter or professional in a group). Part of the ``user`` and
``group`` commands."""

from __future__ import annotations

import argparse
from typing import Any

from federation import verification
from federation.verification import MEMBER_ROLES, ROLE_LABELS, VerificationError
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    cli_who,
    open_federation,
)
from server.errors import CommandError
from server.settings import Settings
from storage import actors

USER_ACTIONS = ("verify", "unverify")
GROUP_ACTIONS = ("verify", "unverify")


def add_user_parsers(sub: Any) -> None:
    verify = sub.add_parser(
        "verify", help="verify a professional staff account (followers get an Update)"
    )
    verify.add_argument("username")
    verify.add_argument("--credential", required=True, help='e.g. "Licensed counsellor"')
    verify.add_argument("--by", required=True, metavar="ADMIN", help="the verifying admin")
    unverify = sub.add_parser("unverify", help="remove a staff account's verification")
    unverify.add_argument("username")
    for p in (verify, unverify):
        add_data_dir_argument(p)
        add_base_url_argument(p)


def add_group_parsers(sub: Any) -> None:
    verify = sub.add_parser("verify", help="mark a member as verified in the group")
    verify.add_argument("slug")
    verify.add_argument("actor", help="the member's actor URL")
    verify.add_argument("--role", required=True, choices=MEMBER_ROLES)
    verify.add_argument("--credential", required=True, help='e.g. "Trained peer supporter"')
    unverify = sub.add_parser("unverify", help="remove a member's mark")
    unverify.add_argument("slug")
    unverify.add_argument("actor", help="the member's actor URL")
    for p in (verify, unverify):
        add_data_dir_argument(p)
        add_base_url_argument(p)


async def run_user(settings: Settings, args: argparse.Namespace) -> str:
    async with open_federation(settings) as ctx:
        try:
            user = await verification.staff_account(ctx.pool, args.username)
            if args.user_command == "unverify":
                await verification.unverify_staff(ctx, user, who=cli_who())
                return f"unverified: {user.username}"
            found = await verification.verify_staff(
                ctx, user, args.credential, by=args.by, who=cli_who()
            )
        except VerificationError as exc:
            raise CommandError(str(exc)) from None
    return f"verified: {user.username}: {found.credential} (by {found.verified_by})"


async def run_group(settings: Settings, args: argparse.Namespace) -> str:
    async with open_federation(settings) as ctx:
        group = await actors.local_actor_by_username(ctx.pool, args.slug)
        if group is None or group.kind != "Group":
            raise CommandError(f"no group named {args.slug!r}")
        try:
            if args.group_command == "unverify":
                await verification.unmark_member(ctx, group, args.actor, who=cli_who())
                return f"unverified in {group.username}: {args.actor}"
            found = await verification.mark_member(
                ctx, group, args.actor, args.role, args.credential, who=cli_who()
            )
        except VerificationError as exc:
            raise CommandError(str(exc)) from None
    return f"{ROLE_LABELS[found.role]} in {group.username}: {args.actor} ({found.credential})"
