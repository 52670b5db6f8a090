"""Background workers of a server process: loops around ``run_once`` of each queue worker.

A loop runs its worker until it finds nothing, then sleeps until woken (work queued in this
process) or for ``idle`` seconds (work queued by another process: a CLI command, a second
server). Tests do not start these loops; they step the workers with ``run_once()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class WorkerLoops:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(
        self, name: str, run_once: Callable[[], Awaitable[int]], wakeup: asyncio.Event,
        idle: float = 1.0,
    ) -> None:  # fmt: skip
        self._tasks.append(asyncio.create_task(_loop(name, run_once, wakeup, idle), name=name))

    def start_task(self, name: str, coroutine: Coroutine[Any, Any, None]) -> None:
        """A worker with its own loop (the delivery engine)."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


async def _loop(
    name: str, run_once: Callable[[], Awaitable[int]], wakeup: asyncio.Event, idle: float
) -> None:
    while True:
        wakeup.clear()
        try:
            done = await run_once()
        except Exception:  # an outage (database restart) must not end the loop
            log.exception("worker %s failed; retrying", name)
            done = 0
        if done == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), idle)
