"""Queries for what a group relayed: its outbox."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(
    db: Executor, *, group_id: int, object_uri: str, author_uri: str, announce: dict[str, Any]
) -> bool:
    """Record a relay; False when the group relayed this object before (once per object)."""
    status = await db.execute(
        "INSERT INTO group_posts (group_id, object_uri, author_uri, announce_id, announce) "
        "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING",
        group_id, object_uri, author_uri, announce["id"], json.dumps(announce),
    )  # fmt: skip
    return status == "INSERT 0 1"


async def relayed(db: Executor, group_id: int, object_uri: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM group_posts WHERE group_id = $1 AND object_uri = $2 "
            "AND state = 'relayed')",
            group_id,
            object_uri,
        )
    )


_LISTED = (
    "(announce->>'type' = 'Announce' "
    "OR announce->'to' ? 'https://www.w3.org/ns/activitystreams#Public')"
)


async def outbox_page(
    db: Executor, group_id: int, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    # Boosts, and the public copies a group published itself (where a policy rewrote a post):
    # a members-only group's copies (followers-only Creates) never appear, even after the
    # group turns public.
    total = await db.fetchval(
        f"SELECT count(*) FROM group_posts WHERE group_id = $1 AND state = 'relayed' AND {_LISTED}",
        group_id,
    )
    rows = await db.fetch(
        "SELECT announce FROM group_posts WHERE group_id = $1 AND state = 'relayed' "
        f"AND {_LISTED} ORDER BY id DESC LIMIT $2 OFFSET $3",
        group_id,
        limit,
        offset,
    )
    return int(total), [json.loads(r["announce"]) for r in rows]


async def remove_relays_of(
    db: Executor, object_uris: list[str]
) -> list[tuple[int, str, dict[str, Any]]]:
    """Take posts out of their groups' outboxes: (group id, post id, the relay) of each."""
    rows = await db.fetch(
        "UPDATE group_posts SET state = 'removed' "
        "WHERE object_uri = ANY($1::text[]) AND state = 'relayed' "
        "RETURNING group_id, object_uri, announce",
        object_uris,
    )
    return [(r["group_id"], r["object_uri"], json.loads(r["announce"])) for r in rows]


async def relayed_objects_of(db: Executor, author_uri: str) -> list[str]:
    rows = await db.fetch(
        "SELECT object_uri FROM group_posts WHERE author_uri = $1 AND state = 'relayed'",
        author_uri,
    )
    return [r["object_uri"] for r in rows]


async def remove_from_group(db: Executor, group_id: int, object_uri: str) -> dict[str, Any] | None:
    """A moderator takes one post out of one group; returns its Announce, if it was there."""
    raw = await db.fetchval(
        "UPDATE group_posts SET state = 'removed' WHERE group_id = $1 AND object_uri = $2 "
        "AND state = 'relayed' RETURNING announce",
        group_id,
        object_uri,
    )
    return None if raw is None else json.loads(raw)


async def recent_public(db: Executor, group_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The group's latest relayed public posts, with their content, for its page."""
    rows = await db.fetch(
        """
        SELECT o.uri, o.content, o.summary, o.published, a.preferred_username, a.domain
        FROM group_posts p
        JOIN remote_objects o ON o.uri = p.object_uri AND o.deleted_at IS NULL
        LEFT JOIN remote_actors a ON a.uri = p.author_uri
        WHERE p.group_id = $1 AND p.state = 'relayed'
          AND o.document -> 'to' ? 'https://www.w3.org/ns/activitystreams#Public'
        ORDER BY p.id DESC LIMIT $2
        """,
        group_id,
        limit,
    )
    return [dict(r) for r in rows]


async def groups_relaying(db: Executor, object_uri: str) -> list[int]:
    rows = await db.fetch(
        "SELECT group_id FROM group_posts WHERE object_uri = $1 AND state = 'relayed'",
        object_uri,
    )
    return [r["group_id"] for r in rows]
