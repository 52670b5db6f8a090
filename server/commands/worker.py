"""``peerhaven worker``: run the queue workers (inbox and delivery) without serving HTTP.

Any number of worker processes can run beside the servers on one database: inbox jobs are
claimed with ``SKIP LOCKED`` and delivery hosts are leased, so nothing is done twice.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from federation.delivery.engine import DeliveryEngine
from federation.inbox.worker import InboxWorker
from server.app import delivery_settings
from server.commands.common import (
    add_base_url_argument,
    add_data_dir_argument,
    ensure_data_dir,
    open_federation,
    settings_from_args,
)
from server.commands.serve import event_loop_factory
from server.settings import Settings
from server.workers import WorkerLoops

NAME = "worker"
HELP = "run the inbox and delivery workers without serving HTTP"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir_argument(parser)
    add_base_url_argument(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    ensure_data_dir(settings)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(_work(settings))
    return 0


async def _work(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_federation(settings) as ctx:
        loops = WorkerLoops()
        loops.start("inbox", InboxWorker(ctx).run_once, ctx.inbox_wakeup)
        engine = DeliveryEngine(ctx, delivery_settings(settings))
        loops.start_task("delivery", engine.run_forever(ctx.delivery_wakeup))
        try:
            await stop.wait()
        finally:
            await loops.stop()
