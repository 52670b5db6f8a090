"""The ``peerhaven`` command.

Each subcommand is a module in ``server.commands`` exposing ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; adding one is adding a module to
``COMMANDS``. Operator mistakes (``ConfigError``, ``StorageError``, ``CommandError``) end with
one ``peerhaven: error: ...`` line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from server.commands import (
    anonymous,
    audit,
    blocklist,
    crisis,
    deliveries,
    domain,
    group,
    migrate,
    policies,
    post,
    resources,
    serve,
    token,
    user,
    version,
    worker,
)
from server.errors import CommandError
from server.settings import ConfigError
from storage.errors import StorageError

COMMANDS: tuple[ModuleType, ...] = (
    serve,
    worker,
    migrate,
    group,
    user,
    post,
    token,
    deliveries,
    audit,
    anonymous,
    policies,
    blocklist,
    domain,
    crisis,
    resources,
    version,
)

EXIT_ERROR = 1
EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerhaven", description="PeerHaven: federated support-community server."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigError as exc:
        return _fail(f"configuration: {exc}", EXIT_CONFIG)
    except (StorageError, CommandError) as exc:
        return _fail(str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: resources were released on the way out; a clean stop.
        return 0


def _fail(message: str, code: int) -> int:
    print(f"peerhaven: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
