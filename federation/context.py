"""What federation code is handed: the database, our URLs, the fetcher, a clock, and the
moderation decisions it needs (through ``ModerationGate``, so ``federation`` never imports
``moderation``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from federation.fetch import Fetcher
from federation.metrics import FederationMetrics
from federation.remote import RemoteDirectory
from federation.screening import CrisisReply, Verdict
from federation.urls import LocalUrls
from federation.wire import Activity


class ModerationGate(Protocol):
    """The moderation decisions federation code asks for."""

    async def domain_blocked(self, domain: str) -> bool:
        """Suspended: refused at the inbox's authorize stage, before any key fetch."""
        ...

    async def screen(
        self, activity: Activity, now: datetime, *, approved: bool = False, crisis: bool = True
    ) -> Verdict:
        """The instance's policies (and account and domain restrictions) on an activity;
        ``approved`` after a moderator approved it: holds pass, rejects and rewrites stay;
        ``crisis``: the post is for one of our groups, so the crisis detector reads it."""
        ...

    async def screen_group(self, group_id: int, activity: Activity, now: datetime) -> Verdict:
        """A group's own policies on a post for it."""
        ...

    async def needs_approval(self, actor: str, domain: str) -> bool:
        """Whether a follow from this account must wait for a moderator."""
        ...

    async def crisis_messages(self, group_id: int, level: str) -> bool:
        """Whether a person whose post the crisis detector held at ``level`` is written to."""
        ...

    async def crisis_reply(
        self, lang: str, group_id: int, group_name: str, country: str | None = None
    ) -> CrisisReply:
        """The message with crisis lines for a person writing in ``lang`` (``country``: the
        one they asked for; default the group's, then the instance's)."""
        ...

    def forget(self) -> None:
        """Drop cached decisions: this process just changed a block or a restriction."""
        ...


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FederationContext:
    pool: asyncpg.Pool
    urls: LocalUrls
    fetcher: Fetcher
    moderation: ModerationGate
    clock: Callable[[], datetime] = utcnow
    # Set when work is queued, so an in-process worker wakes at once instead of polling.
    inbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    delivery_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    metrics: FederationMetrics = field(default_factory=FederationMetrics)
    # A crisis webhook is configured: alerts are queued for it too.
    crisis_webhook: bool = False
    directory: RemoteDirectory = field(init=False)

    def __post_init__(self) -> None:
        self.directory = RemoteDirectory(self.pool, self.fetcher, self.urls, self.clock)
