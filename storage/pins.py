"""Queries for a group's pinned resources (its featured collection)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(db: Executor, group_id: int, uri: str, title: str | None) -> bool:
    status = await db.execute(
        "INSERT INTO group_pins (group_id, uri, title) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        group_id,
        uri,
        title,
    )
    return status == "INSERT 0 1"


async def remove(db: Executor, group_id: int, uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM group_pins WHERE group_id = $1 AND uri = $2", group_id, uri
    )
    return status != "DELETE 0"


async def of_group(db: Executor, group_id: int) -> list[dict[str, Any]]:
    """Pins, newest first, each with the post's stored document when we have it (a remote
    post, or one the group wrote itself)."""
    rows = await db.fetch(
        """
        SELECT p.uri, p.title, coalesce(o.document, n.document) AS document
        FROM group_pins p LEFT JOIN remote_objects o ON o.uri = p.uri AND o.deleted_at IS NULL
        LEFT JOIN group_notes n ON n.uri = p.uri AND n.deleted_at IS NULL
        WHERE p.group_id = $1 ORDER BY p.pinned_at DESC, p.uri
        """,
        group_id,
    )
    return [
        {"uri": r["uri"], "title": r["title"],
         "document": json.loads(r["document"]) if r["document"] else None}
        for r in rows
    ]  # fmt: skip
