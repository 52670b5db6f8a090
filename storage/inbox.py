"""Queries for the durable inbox: store an accepted activity once, by its id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg


async def enqueue(
    db: asyncpg.Pool | asyncpg.Connection,
    *,
    activity_id: str,
    actor_uri: str,
    type: str,
    recipient: str | None,
    payload: dict[str, Any],
    verified_by: str,
    signer_key_id: str | None,
) -> bool:
    """Store an activity for the worker; ``False`` when that id was already stored
    (the same activity twice is accepted and processed once: a UNIQUE constraint decides)."""
    status = await db.execute(
        """
        INSERT INTO inbox_activities
            (activity_id, actor_uri, type, recipient, payload, verified_by, signer_key_id)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
        ON CONFLICT (activity_id) DO NOTHING
        """,
        activity_id,
        actor_uri,
        type,
        recipient,
        json.dumps(payload),
        verified_by,
        signer_key_id,
    )
    return status == "INSERT 0 1"


@dataclass(frozen=True)
class InboxRow:
    activity_id: str
    actor_uri: str
    type: str
    recipient: str | None
    payload: dict[str, Any] | str  # the document, or its JSON text as received
    verified_by: str
    signer_key_id: str | None


async def enqueue_many(db: asyncpg.Pool | asyncpg.Connection, rows: list[InboxRow]) -> set[str]:
    """Store a batch in one statement; returns the activity ids that were new."""
    inserted = await db.fetch(
        """
        INSERT INTO inbox_activities
            (activity_id, actor_uri, type, recipient, payload, verified_by, signer_key_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                             $6::text[], $7::text[])
        ON CONFLICT (activity_id) DO NOTHING
        RETURNING activity_id
        """,
        [r.activity_id for r in rows],
        [r.actor_uri for r in rows],
        [r.type for r in rows],
        [r.recipient for r in rows],
        [r.payload if isinstance(r.payload, str) else json.dumps(r.payload) for r in rows],
        [r.verified_by for r in rows],
        [r.signer_key_id for r in rows],
    )
    return {r["activity_id"] for r in inserted}
