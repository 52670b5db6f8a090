"""Queries for group bans."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(
    db: Executor,
    *,
    group_id: int,
    actor_uri: str,
    reason: str,
    block: dict[str, Any],
    ends_at: datetime | None,
) -> bool:
    status = await db.execute(
        "INSERT INTO group_bans (group_id, actor_uri, reason, block, ends_at) "
        "VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (group_id, actor_uri) DO UPDATE SET "
        "reason = EXCLUDED.reason, block = EXCLUDED.block, ends_at = EXCLUDED.ends_at, "
        "created_at = now() WHERE group_bans.ends_at IS NOT NULL AND group_bans.ends_at <= now()",
        group_id, actor_uri, reason, json.dumps(block), ends_at,
    )  # fmt: skip
    return status == "INSERT 0 1"  # also after an expired ban was replaced


async def active_reason(db: Executor, group_id: int, actor_uri: str) -> str | None:
    """The reason of a ban in force, or ``None``."""
    return await db.fetchval(
        "SELECT reason FROM group_bans WHERE group_id = $1 AND actor_uri = $2 "
        "AND (ends_at IS NULL OR ends_at > now())",
        group_id,
        actor_uri,
    )


async def remove(db: Executor, group_id: int, actor_uri: str) -> dict[str, Any] | None:
    """Lift a ban; returns the Block that was sent for it."""
    block = await db.fetchval(
        "DELETE FROM group_bans WHERE group_id = $1 AND actor_uri = $2 RETURNING block",
        group_id,
        actor_uri,
    )
    return None if block is None else json.loads(block)
