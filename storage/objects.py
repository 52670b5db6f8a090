"""Queries for remote posts and the reactions and blocks remote actors send."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def upsert_object(
    db: Executor,
    *,
    uri: str,
    type: str,
    attributed_to: str,
    content: str,
    summary: str | None,
    sensitive: bool,
    in_reply_to: str | None,
    audience: str | None,
    published: datetime | None,
    updated: datetime | None,
    document: dict[str, Any],
) -> None:
    await db.execute(
        """
        INSERT INTO remote_objects (uri, type, attributed_to, content, summary, sensitive,
            in_reply_to, audience, published, updated, document)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
        ON CONFLICT (uri) DO UPDATE SET type = EXCLUDED.type, content = EXCLUDED.content,
            summary = EXCLUDED.summary, sensitive = EXCLUDED.sensitive,
            in_reply_to = EXCLUDED.in_reply_to, audience = EXCLUDED.audience,
            updated = EXCLUDED.updated, document = EXCLUDED.document
        WHERE remote_objects.attributed_to = EXCLUDED.attributed_to
          AND remote_objects.deleted_at IS NULL
        """,
        uri, type, attributed_to, content, summary, sensitive, in_reply_to, audience,
        published, updated, json.dumps(document),
    )  # fmt: skip


async def object_author(db: Executor, uri: str) -> str | None:
    return await db.fetchval(
        "SELECT attributed_to FROM remote_objects WHERE uri = $1 AND deleted_at IS NULL", uri
    )


async def get_object(db: Executor, uri: str) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM remote_objects WHERE uri = $1", uri)


# Deleting keeps only a tombstone (the id), so a late or replayed Create cannot bring the
# object back; its words are gone from our database.
_TOMBSTONE = (
    "UPDATE remote_objects SET deleted_at = now(), content = '', summary = NULL, "
    "document = jsonb_build_object('id', uri, 'type', 'Tombstone') "
    "WHERE deleted_at IS NULL AND "
)


async def tombstone_object(db: Executor, uri: str) -> bool:
    status = await db.execute(_TOMBSTONE + "uri = $1", uri)
    return status != "UPDATE 0"


async def delete_objects_of(db: Executor, actor_uri: str) -> int:
    """Tombstone everything an actor wrote and drop its reactions (the account is gone)."""
    status = await db.execute(_TOMBSTONE + "attributed_to = $1", actor_uri)
    await db.execute("DELETE FROM reactions WHERE actor_uri = $1", actor_uri)
    return int(status.split()[-1])


async def add_reaction(
    db: Executor,
    *,
    activity_uri: str,
    type: str,
    actor_uri: str,
    object_uri: str,
    content: str | None = None,
) -> bool:
    status = await db.execute(
        "INSERT INTO reactions (activity_uri, type, actor_uri, object_uri, content) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_uri) DO NOTHING",
        activity_uri, type, actor_uri, object_uri, content,
    )  # fmt: skip
    return status == "INSERT 0 1"


async def reaction(db: Executor, activity_uri: str) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT * FROM reactions WHERE activity_uri = $1", activity_uri)


async def remove_reaction(db: Executor, activity_uri: str, actor_uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM reactions WHERE activity_uri = $1 AND actor_uri = $2",
        activity_uri,
        actor_uri,
    )
    return status != "DELETE 0"


async def add_block(db: Executor, *, activity_uri: str, actor_uri: str, target_uri: str) -> None:
    await db.execute(
        "INSERT INTO actor_blocks (activity_uri, actor_uri, target_uri) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        activity_uri,
        actor_uri,
        target_uri,
    )


async def remove_block(db: Executor, activity_uri: str, actor_uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM actor_blocks WHERE activity_uri = $1 AND actor_uri = $2",
        activity_uri,
        actor_uri,
    )
    return status != "DELETE 0"
