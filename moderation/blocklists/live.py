"""The effective blocklist as every check in this process sees it: held in memory
(``EffectiveList``) and reloaded when the database says it changed. A change made anywhere
(another process, the CLI) bumps ``blocklist_version``; each process looks at that number
at most every ``recheck_seconds`` (one cheap query), so a check itself never waits on the
database and costs the same whatever the list's size."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg

from moderation.blocklists.matcher import EffectiveList, Rule
from storage import blocklists, instance

ALLOWLIST_MODE = "blocklist.allowlist_mode"  # instance setting: accept only allowed domains
RECHECK_SECONDS = 2.0


class LiveBlocklist:
    def __init__(
        self,
        pool: asyncpg.Pool,
        recheck_seconds: float = RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._recheck = recheck_seconds
        self._monotonic = monotonic
        self._list = EffectiveList(())
        self._version: int | None = None
        self._checked = float("-inf")
        self._lock = asyncio.Lock()

    async def current(self) -> EffectiveList:
        if self._monotonic() - self._checked >= self._recheck:
            async with self._lock:
                if self._monotonic() - self._checked >= self._recheck:
                    await self._refresh()
        return self._list

    async def _refresh(self) -> None:
        found = await blocklists.version(self._pool)
        if found != self._version:
            blocks = await blocklists.blocks(self._pool)
            allows = [r["domain"] for r in await blocklists.allows(self._pool)]
            mode = bool(await instance.get_setting(self._pool, ALLOWLIST_MODE))
            # Tens of thousands of entries take a moment to index: off the event loop.
            built = await asyncio.to_thread(EffectiveList, blocks, allows, mode)
            self._list, self._version = built, found
        self._checked = self._monotonic()

    async def rule(self, domain: str) -> Rule | None:
        return (await self.current()).check(domain)

    async def severity(self, domain: str) -> str | None:
        found = await self.rule(domain)
        return found.severity if found is not None else None

    async def domain_blocked(self, domain: str) -> bool:
        return await self.severity(domain) == "suspend"

    def forget(self) -> None:
        """Look at the database's version on the next check (this process changed it)."""
        self._checked = float("-inf")
