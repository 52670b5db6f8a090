"""Queries for posts our staff accounts write."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(db: Executor, *, uri: str, author_id: int, document: dict[str, Any]) -> None:
    await db.execute(
        "INSERT INTO local_posts (uri, author_id, document) VALUES ($1, $2, $3::jsonb)",
        uri,
        author_id,
        json.dumps(document),
    )


async def get(db: Executor, uri: str) -> tuple[int, dict[str, Any], bool] | None:
    """(author id, document, deleted) of a post, or ``None``."""
    row = await db.fetchrow(
        "SELECT author_id, document, deleted_at IS NOT NULL AS deleted FROM local_posts "
        "WHERE uri = $1",
        uri,
    )
    if row is None:
        return None
    return row["author_id"], json.loads(row["document"]), row["deleted"]


async def mark_deleted(db: Executor, uri: str, author_id: int) -> dict[str, Any] | None:
    raw = await db.fetchval(
        "UPDATE local_posts SET deleted_at = now() WHERE uri = $1 AND author_id = $2 "
        "AND deleted_at IS NULL RETURNING document",
        uri,
        author_id,
    )
    return None if raw is None else json.loads(raw)
