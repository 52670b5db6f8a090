"""Crisis alerts to moderators (read by the live stream, after an id), the webhook queue
they double as, and who is on duty."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool

# Processes listening for new alerts (their live streams) are woken by this notification.
CHANNEL = "crisis_alerts"


async def add(
    conn: asyncpg.Connection,
    event_id: int,
    *,
    kind: str,
    audience: str,
    at: datetime,
    webhook: bool,
    reply_id: int | None = None,
) -> int | None:
    """One alert and one escalation per event, one alert per reply; None when it exists."""
    alert_id = await conn.fetchval(
        "INSERT INTO crisis_alerts (event_id, kind, audience, created_at, webhook_state, "
        "webhook_next_at, reply_id) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (event_id, kind, coalesce(reply_id, 0)) DO NOTHING RETURNING id",
        event_id, kind, audience, at, "pending" if webhook else "none", at if webhook else None,
        reply_id,
    )  # fmt: skip
    if alert_id is not None:
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(alert_id))
    return alert_id


async def after(db: Executor, last_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts newer than ``last_id`` with their event, oldest first."""
    rows = await db.fetch(
        """
        SELECT a.id, a.kind, a.audience, a.created_at, e.id AS event_id, e.level, e.method,
               e.evidence, e.lang, e.group_id, g.username AS group_slug, e.review_item_id,
               e.arrived_at, e.message_at, e.acknowledged_at, e.acknowledged_by,
               r.content AS reply
        FROM crisis_alerts a JOIN crisis_events e ON e.id = a.event_id
        LEFT JOIN local_actors g ON g.id = e.group_id
        LEFT JOIN crisis_replies r ON r.id = a.reply_id
        WHERE a.id > $1 ORDER BY a.id LIMIT $2
        """,
        last_id, limit,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def before_open(db: Executor) -> int:
    """Where a stream without Last-Event-ID starts: before the first alert of an event
    nobody acknowledged, else after the newest alert."""
    return int(await db.fetchval(
        "SELECT coalesce((SELECT min(a.id) - 1 FROM crisis_alerts a JOIN crisis_events e "
        "ON e.id = a.event_id WHERE e.acknowledged_at IS NULL), "
        "(SELECT max(id) FROM crisis_alerts), 0)"
    ))  # fmt: skip


async def claim_webhooks(
    pool: asyncpg.Pool, now: datetime, *, limit: int = 10, lease: timedelta
) -> list[dict[str, Any]]:
    """Alerts whose webhook is due, leased to this worker."""
    rows = await pool.fetch(
        """
        UPDATE crisis_alerts SET webhook_lease_until = $1::timestamptz + $3::interval,
               webhook_attempts = webhook_attempts + 1
        WHERE id IN (
            SELECT id FROM crisis_alerts
            WHERE webhook_state = 'pending' AND webhook_next_at <= $1
              AND (webhook_lease_until IS NULL OR webhook_lease_until < $1)
            ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $2
        ) RETURNING id, webhook_attempts
        """,
        now, limit, lease,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def webhook_done(
    db: Executor, alert_id: int, *, state: str, error: str | None = None,
    retry_at: datetime | None = None,
) -> None:  # fmt: skip
    """``sent``, ``failed`` (given up), or ``pending`` again at ``retry_at``."""
    await db.execute(
        "UPDATE crisis_alerts SET webhook_state = $2, webhook_error = $3, "
        "webhook_next_at = coalesce($4, webhook_next_at), webhook_lease_until = NULL "
        "WHERE id = $1",
        alert_id, state, error, retry_at,
    )  # fmt: skip


async def set_duty(db: Executor, actor_id: int, on: bool) -> None:
    if on:
        await db.execute(
            "INSERT INTO crisis_duty (actor_id) VALUES ($1) ON CONFLICT DO NOTHING", actor_id
        )
    else:
        await db.execute("DELETE FROM crisis_duty WHERE actor_id = $1", actor_id)


async def on_duty(db: Executor) -> list[int]:
    rows = await db.fetch("SELECT actor_id FROM crisis_duty ORDER BY since")
    return [r["actor_id"] for r in rows]
