"""Queries for outgoing deliveries: one row per (activity, inbox), idempotent by both."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def enqueue(
    db: asyncpg.Pool | asyncpg.Connection,
    *,
    activity_id: str,
    sender_uri: str,
    payload: dict[str, Any],
    inboxes: list[str],
) -> int:
    """Queue ``payload`` for each inbox (deduplicated); returns how many rows were new."""
    if not inboxes:
        return 0
    status = await db.execute(
        """
        INSERT INTO outgoing_deliveries (activity_id, inbox_url, sender_uri, payload)
        SELECT $1, inbox, $2, $3::jsonb FROM unnest($4::text[]) AS inbox
        ON CONFLICT (activity_id, inbox_url) DO NOTHING
        """,
        activity_id,
        sender_uri,
        json.dumps(payload),
        sorted(set(inboxes)),
    )
    return int(status.split()[-1])
