"""Inbox batch writes: concurrent activities share a commit; each returns only once stored."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from federation.inbox.batch import BatchWriter
from storage import inbox
from storage.inbox import InboxRow


def row(i: int) -> InboxRow:
    return InboxRow(
        activity_id=f"https://peer.example/activities/{i}", actor_uri="https://peer.example/u",
        type="Like", recipient=None, payload={"id": i}, verified_by="http-signature",
        signer_key_id=None,
    )  # fmt: skip


async def test_concurrent_writes_share_batches_and_are_visible_when_they_return(
    db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[int] = []
    real = inbox.enqueue_many

    async def counting(db: asyncpg.Pool, rows: list[InboxRow]) -> set[str]:
        statements.append(len(rows))
        return await real(db, rows)

    monkeypatch.setattr(inbox, "enqueue_many", counting)
    writer = BatchWriter(db_pool, max_batch=64, max_delay=0.01)

    async def write_and_check(i: int) -> bool:
        new = await writer.write(row(i))
        # Committed before the writer answered: another connection sees it.
        seen = await db_pool.fetchval(
            "SELECT count(*) FROM inbox_activities WHERE activity_id = $1", row(i).activity_id
        )
        assert seen == 1
        return new

    try:
        results = await asyncio.gather(*(write_and_check(i) for i in range(150)))
    finally:
        await writer.close()
    assert all(results)
    assert sum(statements) == 150
    assert len(statements) <= 6  # 150 activities in a handful of commits, not 150


async def test_the_same_activity_twice_is_new_once(db_pool: asyncpg.Pool) -> None:
    writer = BatchWriter(db_pool, max_delay=0.01)
    try:
        first, second = await asyncio.gather(writer.write(row(1)), writer.write(row(1)))
        again = await writer.write(row(1))
    finally:
        await writer.close()
    assert sorted([first, second]) == [False, True] and again is False
    assert await db_pool.fetchval("SELECT count(*) FROM inbox_activities") == 1


async def test_a_failed_commit_reaches_every_waiter(db_pool: asyncpg.Pool) -> None:
    writer = BatchWriter(db_pool, max_delay=0.01)
    await db_pool.execute("ALTER TABLE inbox_activities RENAME TO inbox_gone")
    try:
        results = await asyncio.gather(
            writer.write(row(1)), writer.write(row(2)), return_exceptions=True
        )
    finally:
        await db_pool.execute("ALTER TABLE inbox_gone RENAME TO inbox_activities")
        await writer.close()
    assert all(isinstance(r, asyncpg.PostgresError) for r in results)


async def test_a_row_postgres_refuses_fails_alone(db_pool: asyncpg.Pool) -> None:
    writer = BatchWriter(db_pool, max_delay=0.01)
    bad = InboxRow(**{**row(2).__dict__, "payload": '{"id": "x", "text": "a\\u0000b"}'})
    try:
        results = await asyncio.gather(
            writer.write(row(1)), writer.write(bad), writer.write(row(3)), return_exceptions=True
        )
    finally:
        await writer.close()
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], asyncpg.DataError)
    assert await db_pool.fetchval("SELECT count(*) FROM inbox_activities") == 2
