"""``peerhaven domain block|unblock|allow DOMAIN``: one domain at a time (the same code as
the admin API's ``/domains``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from moderation.blocklists import service
from moderation.blocklists.service import BlocklistError
from server.blocklists import enforcer_for
from server.commands.common import (
    add_data_dir_argument,
    cli_who,
    ensure_data_dir,
    open_federation,
    settings_from_args,
)
from server.errors import CommandError

NAME = "domain"
HELP = "block, unblock or allow one domain"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="domain_command", metavar="ACTION", required=True)
    block = sub.add_parser("block", help="block a domain (and its subdomains)")
    block.add_argument("domain")
    block.add_argument("--severity", choices=("suspend", "silence", "noop"), default="suspend")
    block.add_argument("--reject-media", action="store_true")
    block.add_argument("--reject-reports", action="store_true")
    block.add_argument("--comment", default="", help="public comment")
    block.add_argument("--private-comment", default="")
    block.add_argument("--obfuscate", action="store_true", help="published starred")
    unblock = sub.add_parser("unblock", help="lift a block (what was purged is not restored)")
    unblock.add_argument("domain")
    allow = sub.add_parser("allow", help="never block this domain")
    allow.add_argument("domain")
    allow.add_argument("--comment", default="")
    unallow = sub.add_parser("unallow", help="take a domain off the allow list")
    unallow.add_argument("domain")
    for each in (block, unblock, allow, unallow):
        add_data_dir_argument(each)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    try:
        print(json.dumps(asyncio.run(_run(settings, args)), indent=2))
    except BlocklistError as exc:
        raise CommandError(str(exc)) from None
    return 0


async def _run(settings: Any, args: argparse.Namespace) -> dict[str, Any]:
    async with open_federation(settings) as ctx:
        if args.domain_command == "unblock":
            return await service.unblock(ctx.pool, args.domain, who=cli_who())
        if args.domain_command == "unallow":
            return await service.unallow(ctx.pool, args.domain, who=cli_who())
        if args.domain_command == "allow":
            return await service.allow(ctx.pool, args.domain, who=cli_who(), comment=args.comment)
        entry = service.entry_for(
            args.domain, args.severity, reject_media=args.reject_media,
            reject_reports=args.reject_reports, public_comment=args.comment,
            private_comment=args.private_comment, obfuscate=args.obfuscate,
        )  # fmt: skip
        if args.severity == "suspend":
            print("note: a suspension purges what we hold of the domain (follows, cached "
                  "accounts and posts); unblocking later will not restore it",
                  file=sys.stderr)  # fmt: skip
        return await service.block(ctx.pool, entry, who=cli_who(), enforce=enforcer_for(ctx))
