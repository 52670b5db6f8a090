"""The durable queues: leased claims, crash recovery, retries with backoff, nothing lost."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncpg
import pytest

from storage import inbox, queue


async def add_jobs(pool: asyncpg.Pool, n: int) -> None:
    for i in range(n):
        await inbox.enqueue(
            pool, activity_id=f"https://peer.example/a/{i}", actor_uri="https://peer.example/u",
            type="Like", recipient=None, payload={"id": f"https://peer.example/a/{i}"},
            verified_by="http-signature", signer_key_id=None,
        )  # fmt: skip


async def test_a_claimed_job_is_not_claimed_again_while_leased(db_pool: asyncpg.Pool) -> None:
    await add_jobs(db_pool, 3)
    first = await queue.claim(db_pool, "inbox_activities", limit=2, lease=timedelta(minutes=5))
    second = await queue.claim(db_pool, "inbox_activities", limit=10, lease=timedelta(minutes=5))
    assert len(first) == 2 and len(second) == 1
    assert {j.id for j in first}.isdisjoint(j.id for j in second)


async def test_concurrent_claims_split_the_work(db_pool: asyncpg.Pool) -> None:
    await add_jobs(db_pool, 40)
    batches = await asyncio.gather(
        *(queue.claim(db_pool, "inbox_activities", limit=7, lease=timedelta(minutes=5))
          for _ in range(8))
    )  # fmt: skip
    ids = [job.id for batch in batches for job in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_a_crashed_workers_job_comes_back_after_its_lease(db_pool: asyncpg.Pool) -> None:
    await add_jobs(db_pool, 1)
    # The worker claims and "dies": it never finishes. The row is still there, leased.
    [job] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(0))
    row = await db_pool.fetchrow("SELECT state, attempts FROM inbox_activities")
    assert (row["state"], row["attempts"]) == ("queued", 1)
    await asyncio.sleep(0.01)  # let the zero-length lease lapse (a real lease is minutes)
    [again] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(minutes=5))
    assert again.id == job.id and again.attempts == 2


async def test_retry_later_and_finish(db_pool: asyncpg.Pool) -> None:
    await add_jobs(db_pool, 1)
    [job] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(minutes=5))
    await queue.retry_later(
        db_pool, "inbox_activities", job, delay=timedelta(minutes=1), error="peer down"
    )
    assert await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(minutes=5)) == []
    row = await db_pool.fetchrow(
        "SELECT state, result, available_at > now() AS later FROM inbox_activities"
    )
    assert (row["state"], row["result"], row["later"]) == ("queued", "peer down", True)
    await db_pool.execute("UPDATE inbox_activities SET available_at = now()")
    [job] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(minutes=5))
    await queue.finish(db_pool, "inbox_activities", job, result="ok")
    row = await db_pool.fetchrow("SELECT state, result, payload FROM inbox_activities")
    assert (row["state"], row["result"]) == ("done", "ok")
    assert json.loads(row["payload"])["id"] == "https://peer.example/a/0"


def test_backoff_doubles_from_about_a_minute_and_is_capped() -> None:
    assert queue.backoff(1) == timedelta(minutes=1)
    assert queue.backoff(2) == timedelta(minutes=2)
    assert queue.backoff(5) == timedelta(minutes=16)
    assert queue.backoff(30) == timedelta(hours=6)


async def test_a_worker_whose_lease_ran_out_cannot_finish_the_job(db_pool: asyncpg.Pool) -> None:
    await add_jobs(db_pool, 1)
    [slow] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(0))
    await asyncio.sleep(0.01)
    [fast] = await queue.claim(db_pool, "inbox_activities", limit=1, lease=timedelta(minutes=5))
    with pytest.raises(queue.LeaseLost):
        await queue.finish(db_pool, "inbox_activities", slow, result="late")
    await queue.retry_later(db_pool, "inbox_activities", slow, delay=timedelta(hours=1), error="x")
    row = await db_pool.fetchrow(
        "SELECT state, result, available_at <= now() AS ready FROM inbox_activities"
    )
    assert (row["state"], row["result"], row["ready"]) == ("queued", None, True)  # untouched
    await queue.finish(db_pool, "inbox_activities", fast, result="ok")
    assert await db_pool.fetchval("SELECT state FROM inbox_activities") == "done"
