"""What moderation policies may know about an account beyond the activity in hand."""

from __future__ import annotations

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def actor_known(db: Executor, actor_uri: str) -> bool:
    """We stored a post of theirs before, or they follow one of our actors."""
    return await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_objects WHERE attributed_to = $1) "
        "OR EXISTS (SELECT 1 FROM follows WHERE follower_uri = $1 AND state = 'accepted')",
        actor_uri,
    )


async def actor_published(db: Executor, actor_uri: str) -> str | None:
    """The account's ``published`` date as its cached actor document says it (unparsed)."""
    return await db.fetchval(
        "SELECT document ->> 'published' FROM remote_actors WHERE uri = $1", actor_uri
    )


async def posts_in_group(db: Executor, group_id: int, actor_uri: str) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM group_posts WHERE group_id = $1 AND author_uri = $2",
        group_id, actor_uri,
    )  # fmt: skip
