"""Crisis events (a post the detector marked), the messages sent to the person, and the
acknowledgement by a moderator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool

# Buckets of the time to a first human acknowledgement, in seconds (Prometheus histogram).
ACK_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class NewEvent:
    activity_uri: str
    actor_uri: str
    object_uri: str | None
    group_id: int | None
    level: str
    method: bool
    evidence: tuple[str, ...]
    lang: str
    review_item_id: int | None
    arrived_at: datetime
    detected_at: datetime
    message_error: str | None = None  # why no message could be sent


async def record(conn: asyncpg.Connection, event: NewEvent) -> int | None:
    """The event's id, or None when this post was recorded before (a replay)."""
    return await conn.fetchval(
        "INSERT INTO crisis_events (activity_uri, actor_uri, object_uri, group_id, level, "
        "method, evidence, lang, review_item_id, arrived_at, detected_at, message_error) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (activity_uri) DO NOTHING RETURNING id",
        event.activity_uri, event.actor_uri, event.object_uri, event.group_id, event.level,
        event.method, list(event.evidence), event.lang, event.review_item_id,
        event.arrived_at, event.detected_at, event.message_error,
    )  # fmt: skip


async def message_sent(
    conn: asyncpg.Connection,
    event_id: int,
    *,
    note_id: str,
    recipient: str,
    lang: str,
    country: str,
    lines: tuple[str, ...],
    at: datetime,
    in_reply_to: str | None = None,
) -> bool:
    """Record a message to the person; False when that request was answered before."""
    added = await conn.fetchval(
        "INSERT INTO crisis_messages (event_id, note_id, recipient, lang, country, lines, "
        "in_reply_to, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT DO NOTHING RETURNING id",
        event_id, note_id, recipient, lang, country, list(lines), in_reply_to, at,
    )  # fmt: skip
    if added is None:
        return False
    await conn.execute(
        "UPDATE crisis_events SET message_id = coalesce(message_id, $2), "
        "message_lang = coalesce(message_lang, $3), "
        "message_country = coalesce(message_country, $4), "
        "message_at = coalesce(message_at, $5) WHERE id = $1",
        event_id, note_id, lang, country, at,
    )  # fmt: skip
    return True


async def alerted(conn: asyncpg.Connection, event_id: int, at: datetime) -> None:
    await conn.execute("UPDATE crisis_events SET alerted_at = $2 WHERE id = $1", event_id, at)


async def by_message(db: Executor, note_id: str) -> dict[str, Any] | None:
    """The event whose message (to the person) has this note id."""
    row = await db.fetchrow(
        "SELECT e.* FROM crisis_messages m JOIN crisis_events e ON e.id = m.event_id "
        "WHERE m.note_id = $1",
        note_id,
    )
    return dict(row) if row is not None else None


async def get(db: Executor, event_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM crisis_events WHERE id = $1", event_id)
    return dict(row) if row is not None else None


async def messages(db: Executor, event_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT note_id, recipient, lang, country, lines, in_reply_to, sent_at "
        "FROM crisis_messages WHERE event_id = $1 ORDER BY id",
        event_id,
    )
    return [dict(r) for r in rows]


async def listing(
    db: Executor, *, open_only: bool = False, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first; ``open_only``: not acknowledged yet."""
    rows = await db.fetch(
        "SELECT * FROM crisis_events WHERE NOT $1 OR acknowledged_at IS NULL "
        "ORDER BY id DESC LIMIT $2",
        open_only, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def acknowledge(db: Executor, event_id: int, who: str, at: datetime) -> dict[str, Any] | None:
    """The event, acknowledged now; None when it does not exist or was acknowledged before
    (the first acknowledgement counts)."""
    row = await db.fetchrow(
        "UPDATE crisis_events SET acknowledged_by = $2, acknowledged_at = $3 "
        "WHERE id = $1 AND acknowledged_at IS NULL RETURNING *",
        event_id, who, at,
    )  # fmt: skip
    return dict(row) if row is not None else None


async def due_escalations(
    conn: asyncpg.Connection, before: datetime, at: datetime, *, limit: int = 50
) -> list[int]:
    """Mark escalated, and return, the alerts nobody acknowledged since ``before`` (each once,
    whichever process gets there first)."""
    rows = await conn.fetch(
        """
        UPDATE crisis_events SET escalated_at = $2 WHERE id IN (
            SELECT id FROM crisis_events
            WHERE acknowledged_at IS NULL AND escalated_at IS NULL AND alerted_at <= $1
            ORDER BY alerted_at FOR UPDATE SKIP LOCKED LIMIT $3
        ) RETURNING id
        """,
        before, at, limit,
    )  # fmt: skip
    return sorted(r["id"] for r in rows)


async def ack_stats(db: Executor) -> dict[str, Any]:
    """For /metrics: acknowledged events by seconds from arrival to acknowledgement, and
    the ones still waiting."""
    row = await db.fetchrow(
        """
        SELECT count(*) FILTER (WHERE acknowledged_at IS NOT NULL) AS acked,
               coalesce(sum(extract(epoch FROM acknowledged_at - arrived_at))
                        FILTER (WHERE acknowledged_at IS NOT NULL), 0)::float8 AS seconds,
               count(*) FILTER (WHERE acknowledged_at IS NULL) AS waiting,
               array_agg(extract(epoch FROM acknowledged_at - arrived_at)::float8)
                        FILTER (WHERE acknowledged_at IS NOT NULL) AS delays
        FROM crisis_events WHERE alerted_at IS NOT NULL
        """
    )
    delays = sorted(row["delays"] or [])
    buckets = [(b, sum(1 for d in delays if d <= b)) for b in ACK_BUCKETS]
    return {"acked": row["acked"], "seconds": row["seconds"], "waiting": row["waiting"],
            "buckets": buckets}  # fmt: skip


async def add_reply(
    conn: asyncpg.Connection, event_id: int, activity_uri: str, content: str, at: datetime
) -> int | None:
    """A person's reply to the group's message; None when it was stored before."""
    return await conn.fetchval(
        "INSERT INTO crisis_replies (event_id, activity_uri, content, received_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
        event_id, activity_uri, content, at,
    )  # fmt: skip


async def replies(db: Executor, event_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, content, received_at FROM crisis_replies WHERE event_id = $1 ORDER BY id",
        event_id,
    )
    return [dict(r) for r in rows]
