"""Inbox writes in small batches: many concurrent POSTs share one INSERT and one commit.

Each POST waits for the commit of the batch its activity is in, so a 202 still means
"stored durably". A batch closes after ``max_delay`` seconds or ``max_batch`` activities,
whichever comes first; under light load a lone activity waits at most ``max_delay``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg

from storage import inbox
from storage.inbox import InboxRow


class BatchWriter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_batch: int = 256,
        max_delay: float = 0.003,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._on_commit = on_commit
        self._pending: list[tuple[InboxRow, asyncio.Future[bool]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(self, row: InboxRow) -> bool:
        """Store ``row``; True when its activity id was new. Raises what the insert raised."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Write what is pending, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            await self._commit(self._take())

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            # Let concurrent requests join this batch (bounded wait).
            if len(self._pending) < self._max_batch:
                await asyncio.sleep(self._max_delay)
            batch = self._take()
            if not self._pending:
                self._wakeup.clear()
            if batch:
                await self._commit(batch)

    def _take(self) -> list[tuple[InboxRow, asyncio.Future[bool]]]:
        batch, self._pending = (
            self._pending[: self._max_batch],
            self._pending[self._max_batch :],
        )
        return batch

    async def _commit(self, batch: list[tuple[InboxRow, asyncio.Future[bool]]]) -> None:
        try:
            new_ids = await inbox.enqueue_many(self._pool, [row for row, _ in batch])
        except asyncpg.DataError as exc:
            # One row PostgreSQL refuses (say, a \u0000 in jsonb) must not fail its
            # neighbours: store them one by one, so only that row fails.
            if len(batch) == 1:
                _fail(batch, exc)
            else:
                for item in batch:
                    await self._commit([item])
            return
        except Exception as exc:  # any failure reaches the waiting POSTs; none hangs
            _fail(batch, exc)
            return
        seen: set[str] = set()
        for row, future in batch:
            # The same activity twice in one batch: only the first counts as new.
            new = row.activity_id in new_ids and row.activity_id not in seen
            seen.add(row.activity_id)
            if not future.done():
                future.set_result(new)
        if self._on_commit is not None and new_ids:
            self._on_commit()


def _fail(batch: list[tuple[InboxRow, asyncio.Future[bool]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
