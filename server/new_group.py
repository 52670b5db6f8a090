"""Creating a support group, for the CLI and the admin API alike: the ``Group`` actor and
the policies every new group starts with (``moderation.policies.defaults``), in one
transaction."""

from __future__ import annotations

import asyncpg

from federation.local import create_actor
from moderation.policies import defaults
from storage.actors import LocalActor

CONTENT_WARNINGS = defaults.ACTIONS  # add (the default) or hold


async def create_group(
    pool: asyncpg.Pool,
    *,
    slug: str,
    name: str,
    summary: str = "",
    approval: bool = False,
    content_warnings: str = "add",
) -> LocalActor:
    """``content_warnings``: posts on sensitive topics without a warning are given one
    (``add``) or held for a moderator (``hold``)."""
    if content_warnings not in CONTENT_WARNINGS:
        raise ValueError(f"content_warnings must be one of {', '.join(CONTENT_WARNINGS)}")
    async with pool.acquire() as conn, conn.transaction():
        group = await create_actor(
            conn, kind="Group", username=slug, name=name, summary=summary,
            manually_approves_followers=approval,
        )  # fmt: skip
        await defaults.start_group(conn, group.id, content_warnings)
    return group
