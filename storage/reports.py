"""Reports: from other instances (``Flag``) and from our staff, routed to a group's
moderators (``group_id``) or to the instance's admins (``group_id`` NULL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool

# Mastodon caps a report's comment at 1,000 characters; we keep up to 5,000 of anyone's.
MAX_CONTENT = 5000


@dataclass(frozen=True)
class Report:
    id: int
    activity_uri: str
    actor_uri: str
    object_uris: tuple[str, ...]
    content: str
    group_id: int | None
    source: str
    state: str
    received_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str
    action: str | None
    forwarded_to: str | None


def _report(row: asyncpg.Record) -> Report:
    return Report(
        id=row["id"], activity_uri=row["activity_uri"], actor_uri=row["actor_uri"],
        object_uris=tuple(row["object_uris"]), content=row["content"],
        group_id=row["group_id"], source=row["source"], state=row["state"],
        received_at=row["received_at"], resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"], resolution=row["resolution"], action=row["action"],
        forwarded_to=row["forwarded_to"],
    )  # fmt: skip


async def add(
    db: Executor,
    *,
    activity_uri: str,
    actor_uri: str,
    object_uris: list[str],
    content: str,
    group_id: int | None,
    source: str = "remote",
) -> Report | None:
    """Store a report once per activity id; None when it was already stored."""
    row = await db.fetchrow(
        "INSERT INTO reports (activity_uri, actor_uri, object_uris, content, group_id, source) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (activity_uri) DO NOTHING RETURNING *",
        activity_uri, actor_uri, object_uris, content[:MAX_CONTENT], group_id, source,
    )  # fmt: skip
    return _report(row) if row is not None else None


async def get(db: Executor, report_id: int) -> Report | None:
    row = await db.fetchrow("SELECT * FROM reports WHERE id = $1", report_id)
    return _report(row) if row is not None else None


async def listing(
    db: Executor, *, state: str | None = None, group_id: int | None = None, limit: int = 100
) -> list[Report]:
    rows = await db.fetch(
        "SELECT * FROM reports WHERE ($1::text IS NULL OR state = $1) "
        "AND ($2::bigint IS NULL OR group_id = $2) ORDER BY id DESC LIMIT $3",
        state, group_id, limit,
    )  # fmt: skip
    return [_report(r) for r in rows]


async def close(
    db: Executor, report_id: int, *, state: str, who: str, note: str, action: str | None
) -> bool:
    """Resolve or dismiss an open report; False when it is not open."""
    status = await db.execute(
        "UPDATE reports SET state = $2, resolved_by = $3, resolved_at = now(), "
        "resolution = $4, action = $5 WHERE id = $1 AND state = 'open'",
        report_id, state, who, note, action,
    )  # fmt: skip
    return status != "UPDATE 0"


async def mark_forwarded(db: Executor, report_id: int, inbox: str) -> None:
    await db.execute("UPDATE reports SET forwarded_to = $2 WHERE id = $1", report_id, inbox)


async def open_count(db: Executor) -> int:
    return await db.fetchval("SELECT count(*) FROM reports WHERE state = 'open'")
