"""The review queue: posts held by a policy, waiting for a moderator's decision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class Item:
    id: int
    inbox_id: int | None
    activity_uri: str
    actor_uri: str
    object_uri: str | None
    group_id: int | None
    group_ids: tuple[int, ...]
    policy: str
    reason: str
    payload: dict[str, Any]
    rewritten: bool
    state: str
    held_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str


def _item(row: asyncpg.Record) -> Item:
    return Item(
        id=row["id"], inbox_id=row["inbox_id"], activity_uri=row["activity_uri"],
        actor_uri=row["actor_uri"], object_uri=row["object_uri"], group_id=row["group_id"],
        group_ids=tuple(row["group_ids"]), policy=row["policy"], reason=row["reason"],
        payload=json.loads(row["payload"]), rewritten=row["rewritten"], state=row["state"],
        held_at=row["held_at"],
        decided_by=row["decided_by"], decided_at=row["decided_at"], note=row["note"],
    )  # fmt: skip


async def hold(
    db: Executor,
    *,
    inbox_id: int | None,
    activity_uri: str,
    actor_uri: str,
    object_uri: str | None,
    group_id: int | None,
    group_ids: list[int],
    policy: str,
    reason: str,
    payload: dict[str, Any],
    rewritten: bool = False,
) -> int | None:
    """Hold once per (activity, group); the new item's id, or None when already held."""
    return await db.fetchval(
        "INSERT INTO review_items (inbox_id, activity_uri, actor_uri, object_uri, group_id, "
        "group_ids, policy, reason, payload, rewritten) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (activity_uri, coalesce(group_id, 0)) DO NOTHING RETURNING id",
        inbox_id, activity_uri, actor_uri, object_uri, group_id, group_ids, policy, reason,
        json.dumps(payload), rewritten,
    )  # fmt: skip


async def get(db: Executor, item_id: int, *, for_update: bool = False) -> Item | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await db.fetchrow(f"SELECT * FROM review_items WHERE id = $1{lock}", item_id)
    return _item(row) if row is not None else None


async def pending(
    db: Executor, *, group_id: int | None = None, moderator: str | None = None,
    limit: int = 100,
) -> list[Item]:  # fmt: skip
    """Pending items, oldest first; for a group, its own and the instance's holds of posts
    addressed to it; given ``moderator``, only those of the groups that account moderates."""
    rows = await db.fetch(
        "SELECT * FROM review_items WHERE state = 'pending' AND ($1::bigint IS NULL "
        "OR group_id = $1 OR (group_id IS NULL AND $1 = ANY (group_ids))) "
        "AND ($3::text IS NULL OR group_ids && ARRAY(SELECT group_id FROM group_moderators "
        "WHERE actor_uri = $3) OR group_id IN (SELECT group_id FROM group_moderators "
        "WHERE actor_uri = $3)) ORDER BY held_at, id LIMIT $2",
        group_id, limit, moderator,
    )  # fmt: skip
    return [_item(r) for r in rows]


async def moderates(db: Executor, item_id: int, moderator: str) -> bool:
    """Whether ``moderator`` moderates a group the item was held for (or a missing item:
    the caller answers 404)."""
    return bool(await db.fetchval(
        "SELECT NOT EXISTS (SELECT 1 FROM review_items WHERE id = $1) OR EXISTS ("
        "SELECT 1 FROM review_items r JOIN group_moderators m ON m.actor_uri = $2 "
        "AND (m.group_id = r.group_id OR m.group_id = ANY (r.group_ids)) WHERE r.id = $1)",
        item_id, moderator,
    ))  # fmt: skip


async def decide(db: Executor, item_id: int, *, state: str, who: str, note: str) -> bool:
    status = await db.execute(
        "UPDATE review_items SET state = $2, decided_by = $3, decided_at = now(), note = $4 "
        "WHERE id = $1 AND state = 'pending'",
        item_id, state, who, note,
    )  # fmt: skip
    return status != "UPDATE 0"


async def counts(db: Executor, stale_after: timedelta) -> tuple[int, int]:
    """(pending, pending for longer than ``stale_after``)."""
    row = await db.fetchrow(
        "SELECT count(*) AS pending, count(*) FILTER (WHERE held_at < now() - $1::interval) "
        "AS stale FROM review_items WHERE state = 'pending'",
        stale_after,
    )
    return row["pending"], row["stale"]


async def requeue_approved(db: Executor, inbox_id: int) -> bool:
    """Put a held inbox activity back in the queue, marked approved (not screened again)."""
    status = await db.execute(
        "UPDATE inbox_activities SET state = 'queued', approved = true, available_at = now(), "
        "locked_until = NULL WHERE id = $1 AND state = 'held'",
        inbox_id,
    )
    return status != "UPDATE 0"


async def drop_held(db: Executor, inbox_id: int, result: str) -> None:
    await db.execute(
        "UPDATE inbox_activities SET state = 'dropped', result = $2 "
        "WHERE id = $1 AND state = 'held'",
        inbox_id, result,
    )  # fmt: skip


async def has_pending(db: Executor, object_uri: str, actor_uri: str) -> bool:
    return await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM review_items WHERE state = 'pending' "
        "AND object_uri = $1 AND actor_uri = $2)",
        object_uri, actor_uri,
    )  # fmt: skip


async def withdraw(db: Executor, actor_uri: str, object_uri: str | None = None) -> int:
    """The author deleted the post (``object_uri``) or their account (None): what waited for
    review is withdrawn, and a held activity will never be processed."""
    rows = await db.fetch(
        "UPDATE review_items SET state = 'withdrawn', decided_by = $1, decided_at = now() "
        "WHERE state = 'pending' AND actor_uri = $1 AND ($2::text IS NULL OR object_uri = $2) "
        "RETURNING inbox_id",
        actor_uri, object_uri,
    )  # fmt: skip
    held = [r["inbox_id"] for r in rows if r["inbox_id"] is not None]
    if held:
        await db.execute(
            "UPDATE inbox_activities SET state = 'dropped', result = 'withdrawn by its author' "
            "WHERE id = ANY($1::bigint[]) AND state = 'held'",
            held,
        )
    return len(rows)
