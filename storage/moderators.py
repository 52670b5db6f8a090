"""Queries for group moderators."""

from __future__ import annotations

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(db: Executor, group_id: int, actor_uri: str) -> bool:
    status = await db.execute(
        "INSERT INTO group_moderators (group_id, actor_uri) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        group_id,
        actor_uri,
    )
    return status == "INSERT 0 1"


async def remove(db: Executor, group_id: int, actor_uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM group_moderators WHERE group_id = $1 AND actor_uri = $2", group_id, actor_uri
    )
    return status != "DELETE 0"


async def of_group(db: Executor, group_id: int) -> list[str]:
    rows = await db.fetch(
        "SELECT actor_uri FROM group_moderators WHERE group_id = $1 ORDER BY added_at, actor_uri",
        group_id,
    )
    return [r["actor_uri"] for r in rows]


async def is_moderator(db: Executor, group_id: int, actor_uri: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_moderators WHERE group_id = $1 AND actor_uri = $2)",
            group_id,
            actor_uri,
        )
    )
