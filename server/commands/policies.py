"""``peerhaven policies check [FILE]``: load a policy file as the server would, without a
server: "ok" and the chain, or the line and reason it would be refused for."""

from __future__ import annotations

import argparse
from pathlib import Path

from moderation.policies.config import PolicyFileError, parse_file
from server.commands.common import add_data_dir_argument, settings_from_args
from server.errors import CommandError

NAME = "policies"
HELP = "check a moderation policy file (default: the configured one)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help=HELP, description=HELP)
    check.add_argument("file", nargs="?", help="the file (default: PEERHAVEN_POLICY_FILE)")
    add_data_dir_argument(check)


def run(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else settings_from_args(args).policy_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file (no policies: everything is accepted)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read: {exc}") from None
    try:
        chain = parse_file(text)
    except PolicyFileError as exc:
        raise CommandError(f"{path}: {exc}") from None
    print(f"ok: {path}: {len(chain.policies)} policies, {len(chain.rules)} rules")
    for policy in chain.policies:
        print(f"  {policy.name} ({policy.type}){' [shadow]' if policy.shadow else ''}")
    return 0
