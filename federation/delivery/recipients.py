"""Who receives an activity: inboxes, deduplicated through shared inboxes, grouped by host."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import asyncpg

from storage import software


def host_key(inbox: str) -> str:
    """The delivery host of an inbox: ``host[:port]`` (a different port is another server)."""
    return urlsplit(inbox).netloc.lower()


def group_by_host(inboxes: Iterable[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for inbox in sorted(set(inboxes)):
        grouped.setdefault(host_key(inbox), []).append(inbox)
    return grouped


async def follower_inboxes(db: asyncpg.Connection | asyncpg.Pool, followee_uri: str) -> list[str]:
    """One inbox per follower, the shared inbox where the follower's server has one."""
    return [inbox for inbox, _ in await software.follower_inboxes_by_software(db, followee_uri)]
