"""``peerhaven deliveries``: per-host backlog, failures and unreachable hosts."""

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
from storage import outbound
from storage.outbound import HostReport

NAME = "deliveries"
HELP = "show the delivery queue: backlog, failures and unreachable hosts per host"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON document")


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    reports = asyncio.run(_reports(settings))
    if args.json:
        print(json.dumps([_jsonable(r) for r in reports], indent=2))
    else:
        print(render(reports))
    return 0


async def _reports(settings: Settings) -> list[HostReport]:
    async with open_database(settings) as database:
        return await outbound.host_reports(database.pool)


def _jsonable(report: HostReport) -> dict[str, object]:
    return {**report.__dict__, "next_attempt_at": report.next_attempt_at.isoformat()}


def render(reports: list[HostReport]) -> str:
    if not reports:
        return "nothing has been sent yet"
    header = f"{'host':<40} {'backlog':>8} {'sent':>8} {'failed':>7} {'retries':>8}  state"
    lines = [header]
    for r in reports:
        if r.unreachable:
            state = (
                f"UNREACHABLE ({r.dropped} dropped), next check {r.next_attempt_at:%Y-%m-%d %H:%M}"
            )
        elif r.failures:
            state = f"failing x{r.failures}, next try {r.next_attempt_at:%H:%M:%S}: {r.last_error}"
        else:
            state = "ok"
        lines.append(
            f"{r.host:<40} {r.backlog:>8} {r.delivered:>8} {r.failed:>7} {r.retries:>8}  {state}"
        )
    unreachable = sum(r.unreachable for r in reports)
    lines.append(
        f"{len(reports)} hosts, {sum(r.backlog for r in reports)} activities owed, "
        f"{unreachable} unreachable"
    )
    return "\n".join(lines)
