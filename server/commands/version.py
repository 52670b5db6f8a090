"""``peerhaven version``: print the installed version."""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

NAME = "version"
HELP = "print the version"


def installed_version() -> str:
    try:
        return version("peerhaven")
    except PackageNotFoundError:
        return "0+unknown"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no flags


def run(args: argparse.Namespace) -> int:
    del args
    print(f"peerhaven {installed_version()}")
    return 0
