"""The durable inbox queue: claim with a lease, finish, or retry with backoff.

A job is claimed with ``FOR UPDATE SKIP LOCKED`` (so several workers, in one process or many,
never take the same row) and leased for ``lease`` seconds; it is marked finished only after
its handler returns. A worker that crashes mid-job loses nothing: the lease runs out and the
job is claimed again. Jobs are never deleted before they are handled (the trap Fedify and
GoToSocial fell into with in-memory or delete-first queues).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import asyncpg

# Table names are constants of this module, never user input: safe to format into SQL.
QueueTable = Literal["inbox_activities"]
_DONE_STATE = {"inbox_activities": "done"}


@dataclass(frozen=True)
class Job:
    id: int
    attempts: int
    row: dict[str, Any]


async def claim(
    pool: asyncpg.Pool, table: QueueTable, *, limit: int, lease: timedelta
) -> list[Job]:
    """Take up to ``limit`` ready jobs and lease them; commit before handling them."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            f"""
            UPDATE {table} SET locked_until = now() + $2::interval, attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM {table}
                WHERE state = 'queued' AND available_at <= now()
                  AND (locked_until IS NULL OR locked_until < now())
                ORDER BY available_at, id
                FOR UPDATE SKIP LOCKED
                LIMIT $1
            )
            RETURNING *
            """,
            limit,
            lease,
        )
    jobs = []
    for row in sorted(rows, key=lambda r: r["id"]):
        data = dict(row)
        if "payload" in data:
            data["payload"] = json.loads(data["payload"])
        jobs.append(Job(id=data["id"], attempts=data["attempts"], row=data))
    return jobs


class LeaseLost(Exception):
    """The job was claimed again by another worker (our lease ran out): its effects must not be
    committed twice. Raised inside the handler's transaction, it rolls that back."""


async def finish(
    db: asyncpg.Pool | asyncpg.Connection,
    table: QueueTable,
    job: Job,
    *,
    result: str | None = None,
    state: str | None = None,
    moderation: dict[str, Any] | None = None,
) -> None:
    """Mark a handled job done (or ``dropped``/``failed`` with the reason in ``result``).

    Fenced by the claim: only while the job is still ours (queued, with the attempt count our
    claim set); otherwise ``LeaseLost``. ``moderation`` is the policy chain's decision, kept
    with the activity."""
    final = state or _DONE_STATE[table]
    status = await db.execute(
        f"UPDATE {table} SET state = $2, result = $3, locked_until = NULL, "
        "processed_at = now(), moderation = coalesce($5::jsonb, moderation) "
        "WHERE id = $1 AND state = 'queued' AND attempts = $4",
        job.id, final, result, job.attempts,
        json.dumps(moderation) if moderation is not None else None,
    )  # fmt: skip
    if status == "UPDATE 0":
        raise LeaseLost(f"job {job.id} was claimed again")


async def retry_later(
    db: asyncpg.Pool | asyncpg.Connection,
    table: QueueTable,
    job: Job,
    *,
    delay: timedelta,
    error: str,
) -> None:
    """Put a job back for later, unless another worker has claimed it since."""
    await db.execute(
        f"UPDATE {table} SET available_at = now() + $2::interval, locked_until = NULL, "
        "result = $3 WHERE id = $1 AND state = 'queued' AND attempts = $4",
        job.id, delay, error, job.attempts,
    )  # fmt: skip


def backoff(attempts: int, *, base: float = 60.0, cap: float = 6 * 3600.0) -> timedelta:
    """Exponential backoff: about a minute after the first failure, doubling, capped."""
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))
