"""Queries for notes a members-only group publishes itself (copies of its members' posts)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(db: Executor, *, group_id: int, object_uri: str, document: dict[str, Any]) -> None:
    await db.execute(
        "INSERT INTO group_notes (uri, group_id, object_uri, document) "
        "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING",
        document["id"], group_id, object_uri, json.dumps(document),
    )  # fmt: skip


async def get(db: Executor, uri: str) -> tuple[int, dict[str, Any], bool] | None:
    row = await db.fetchrow(
        "SELECT group_id, document, deleted_at IS NOT NULL AS deleted FROM group_notes "
        "WHERE uri = $1",
        uri,
    )
    return None if row is None else (row["group_id"], json.loads(row["document"]), row["deleted"])


async def delete_copy(db: Executor, group_id: int, object_uri: str) -> str | None:
    """Mark the group's copy of a post deleted; returns the copy's id, if there was one."""
    return await db.fetchval(
        "UPDATE group_notes SET deleted_at = now() WHERE group_id = $1 AND object_uri = $2 "
        "AND deleted_at IS NULL RETURNING uri",
        group_id,
        object_uri,
    )


async def member_on(db: Executor, group_uri: str, domain: str) -> bool:
    """Does the group have an accepted follower whose server is ``domain``?"""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM follows f JOIN remote_actors a "
            "ON a.uri = f.follower_uri WHERE f.followee_uri = $1 AND f.state = 'accepted' "
            "AND a.domain = $2)",
            group_uri,
            domain,
        )
    )
