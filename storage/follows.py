"""Queries for follows, in both directions (remote → local and local → remote)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class Follow:
    id: int
    follower_uri: str
    followee_uri: str
    activity_uri: str
    state: str
    created_at: datetime
    updated_at: datetime


def _follow(row: asyncpg.Record | None) -> Follow | None:
    return None if row is None else Follow(**dict(row))


async def upsert_follow(
    db: Executor, follower_uri: str, followee_uri: str, activity_uri: str, state: str
) -> Follow:
    """Record a follow; a repeated Follow (new activity id) replaces the old one's id and
    keeps an accepted follow accepted."""
    row = await db.fetchrow(
        """
        INSERT INTO follows (follower_uri, followee_uri, activity_uri, state)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (follower_uri, followee_uri) DO UPDATE SET
            activity_uri = EXCLUDED.activity_uri,
            state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END,
            updated_at = now()
        RETURNING *
        """,
        follower_uri,
        followee_uri,
        activity_uri,
        state,
    )
    assert row is not None
    return Follow(**dict(row))


async def follow_by_activity(db: Executor, activity_uri: str) -> Follow | None:
    return _follow(await db.fetchrow("SELECT * FROM follows WHERE activity_uri = $1", activity_uri))


async def follow_between(db: Executor, follower_uri: str, followee_uri: str) -> Follow | None:
    return _follow(
        await db.fetchrow(
            "SELECT * FROM follows WHERE follower_uri = $1 AND followee_uri = $2",
            follower_uri,
            followee_uri,
        )
    )


async def set_state(db: Executor, follow_id: int, state: str) -> None:
    await db.execute(
        "UPDATE follows SET state = $2, updated_at = now() WHERE id = $1", follow_id, state
    )


async def delete_follow(db: Executor, follower_uri: str, followee_uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM follows WHERE follower_uri = $1 AND followee_uri = $2",
        follower_uri,
        followee_uri,
    )
    return status != "DELETE 0"


async def delete_follows_of(db: Executor, actor_uri: str) -> int:
    """Drop every follow an actor is part of (its account was deleted)."""
    status = await db.execute(
        "DELETE FROM follows WHERE follower_uri = $1 OR followee_uri = $1", actor_uri
    )
    return int(status.split()[-1])


async def followers_page(
    db: Executor, followee_uri: str, limit: int, offset: int
) -> tuple[int, list[str]]:
    """Accepted followers of an actor, newest first: (total, a page of actor URIs)."""
    return await _page(db, "follower_uri", "followee_uri", followee_uri, limit, offset)


async def following_page(
    db: Executor, follower_uri: str, limit: int, offset: int
) -> tuple[int, list[str]]:
    """Actors an actor follows (accepted), newest first: (total, a page of actor URIs)."""
    return await _page(db, "followee_uri", "follower_uri", follower_uri, limit, offset)


async def _page(
    db: Executor, listed: str, by: str, uri: str, limit: int, offset: int
) -> tuple[int, list[str]]:
    # Column names come from the two callers above, never from input.
    total = await db.fetchval(
        f"SELECT count(*) FROM follows WHERE {by} = $1 AND state = 'accepted'", uri
    )
    rows = await db.fetch(
        f"SELECT {listed} FROM follows WHERE {by} = $1 AND state = 'accepted' "
        "ORDER BY id DESC LIMIT $2 OFFSET $3",
        uri,
        limit,
        offset,
    )
    return int(total), [r[listed] for r in rows]


async def accepted_followers(db: Executor, followee_uri: str) -> list[str]:
    rows = await db.fetch(
        "SELECT follower_uri FROM follows WHERE followee_uri = $1 AND state = 'accepted' "
        "ORDER BY id",
        followee_uri,
    )
    return [r["follower_uri"] for r in rows]


async def remove_followers_at_inbox(db: Executor, inbox: str) -> int:
    """A personal inbox answered 410 Gone: its actor no longer follows anyone here."""
    status = await db.execute(
        "DELETE FROM follows WHERE follower_uri IN "
        "(SELECT uri FROM remote_actors WHERE inbox = $1)",
        inbox,
    )
    return int(status.split()[-1])


async def is_personal_inbox(db: Executor, inbox: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM remote_actors WHERE inbox = $1) "
            "AND NOT EXISTS (SELECT 1 FROM remote_actors WHERE shared_inbox = $1)",
            inbox,
        )
    )


async def pending_for(db: Executor, followee_uri: str) -> list[Follow]:
    rows = await db.fetch(
        "SELECT * FROM follows WHERE followee_uri = $1 AND state = 'pending' ORDER BY id",
        followee_uri,
    )
    return [Follow(**dict(r)) for r in rows]


async def remove_follows_by(db: Executor, follower_uri: str) -> int:
    """An account was suspended here: it follows none of our actors any more."""
    status = await db.execute("DELETE FROM follows WHERE follower_uri = $1", follower_uri)
    return int(status.split()[-1])
