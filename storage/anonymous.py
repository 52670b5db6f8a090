"""Queries for anonymous submissions: the submissions moderators read (never the author),
the seals that name the author (read only to unseal, ban or tell the author), and each
group's keyword."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool

DEFAULT_KEYWORD = "!anon"


@dataclass(frozen=True)
class Submission:
    """What moderators see of a submission: its text and what became of it, not who."""

    id: int
    group_id: int
    content: str
    summary: str | None
    sensitive: bool
    state: str
    received_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str
    note_uri: str | None
    author_banned: bool
    mark: str = ""  # why the instance held it beyond pre-moderation (crisis, a policy)


@dataclass(frozen=True)
class Seal:
    """Who wrote a submission: sealed."""

    submission_id: int
    actor_uri: str
    activity_uri: str
    object_uri: str
    sealed_at: datetime


_COLUMNS = (
    "id, group_id, content, summary, sensitive, state, received_at, decided_by, decided_at, "
    "note, note_uri, author_banned, mark"
)


def _submission(row: asyncpg.Record) -> Submission:
    return Submission(**{key: row[key] for key in _COLUMNS.split(", ")})


async def keyword(db: Executor, group_id: int) -> str:
    found = await db.fetchval(
        "SELECT keyword FROM anonymous_settings WHERE group_id = $1", group_id
    )
    return found or DEFAULT_KEYWORD


async def keywords(db: Executor) -> dict[int, str]:
    """Every group's keyword that is not the default."""
    rows = await db.fetch("SELECT group_id, keyword FROM anonymous_settings")
    return {r["group_id"]: r["keyword"] for r in rows}


async def set_keyword(db: Executor, group_id: int, value: str) -> None:
    await db.execute(
        "INSERT INTO anonymous_settings (group_id, keyword) VALUES ($1, $2) "
        "ON CONFLICT (group_id) DO UPDATE SET keyword = excluded.keyword",
        group_id, value,
    )  # fmt: skip


async def submit(
    db: Executor,
    *,
    group_id: int,
    activity_uri: str,
    object_uri: str,
    actor_uri: str,
    content: str,
    summary: str | None,
    sensitive: bool,
) -> int | None:
    """Seal the author and store the submission in one statement; None when this direct
    message (its activity or its note) was submitted before."""
    return await db.fetchval(
        "WITH seal AS (INSERT INTO anonymous_seals (activity_uri, object_uri, actor_uri) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id) "
        "INSERT INTO anonymous_submissions (seal_id, group_id, content, summary, sensitive) "
        "SELECT id, $4, $5, $6, $7 FROM seal RETURNING id",
        activity_uri, object_uri, actor_uri, group_id, content, summary, sensitive,
    )  # fmt: skip


async def get(db: Executor, submission_id: int) -> Submission | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM anonymous_submissions WHERE id = $1", submission_id
    )
    return _submission(row) if row is not None else None


async def by_activity(db: Executor, activity_uri: str) -> Submission | None:
    """The submission a direct message (its activity) made, if it made one."""
    row = await db.fetchrow(
        f"SELECT {', '.join('s.' + c for c in _COLUMNS.split(', '))} "
        "FROM anonymous_submissions s JOIN anonymous_seals k ON k.id = s.seal_id "
        "WHERE k.activity_uri = $1",
        activity_uri,
    )
    return _submission(row) if row is not None else None


async def set_mark(db: Executor, submission_id: int, mark: str) -> None:
    await db.execute(
        "UPDATE anonymous_submissions SET mark = $2 WHERE id = $1", submission_id, mark[:500]
    )


async def pending_from(db: Executor, actor_uri: str, object_uri: str) -> bool:
    """Whether this author's direct message (its note) waits as a submission."""
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM anonymous_submissions s JOIN anonymous_seals k "
        "ON k.id = s.seal_id WHERE s.state = 'pending' AND k.actor_uri = $1 "
        "AND k.object_uri = $2)",
        actor_uri, object_uri,
    ))  # fmt: skip


async def withdraw(db: Executor, actor_uri: str, object_uri: str | None = None) -> int:
    """The author deleted the message (``object_uri``) or their account (None): what still
    waits is withdrawn, never published."""
    status = await db.execute(
        "UPDATE anonymous_submissions s SET state = 'withdrawn', decided_at = now() "
        "FROM anonymous_seals k WHERE k.id = s.seal_id AND s.state = 'pending' "
        "AND k.actor_uri = $1 AND ($2::text IS NULL OR k.object_uri = $2)",
        actor_uri, object_uri,
    )  # fmt: skip
    return int(status.split()[-1])


async def by_note(db: Executor, note_uri: str) -> Submission | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM anonymous_submissions WHERE note_uri = $1", note_uri
    )
    return _submission(row) if row is not None else None


async def listing(
    db: Executor,
    group_ids: list[int] | None,
    *,
    state: str | None = "pending",
    moderator: str | None = None,
    limit: int = 100,
) -> list[Submission]:
    """Submissions to these groups (None: all) and, given ``moderator``, only to the groups
    that account moderates; oldest first."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM anonymous_submissions "
        "WHERE ($1::bigint[] IS NULL OR group_id = ANY ($1)) AND ($2::text IS NULL OR state = $2) "
        "AND ($3::text IS NULL OR group_id IN "
        "(SELECT group_id FROM group_moderators WHERE actor_uri = $3)) "
        "ORDER BY received_at, id LIMIT $4",
        group_ids, state, moderator, limit,
    )  # fmt: skip
    return [_submission(r) for r in rows]


async def decide(
    db: Executor,
    submission_id: int,
    *,
    state: str,
    who: str,
    note: str,
    note_uri: str | None = None,
) -> bool:
    """Decide a pending submission; False when it was decided meanwhile."""
    status = await db.execute(
        "UPDATE anonymous_submissions SET state = $2, decided_by = $3, decided_at = now(), "
        "note = $4, note_uri = $5 WHERE id = $1 AND state = 'pending'",
        submission_id, state, who, note, note_uri,
    )  # fmt: skip
    return status != "UPDATE 0"


async def seal(db: Executor, submission_id: int) -> Seal | None:
    row = await db.fetchrow(
        "SELECT s.id AS submission_id, a.actor_uri, a.activity_uri, a.object_uri, a.sealed_at "
        "FROM anonymous_submissions s JOIN anonymous_seals a ON a.id = s.seal_id "
        "WHERE s.id = $1",
        submission_id,
    )
    return Seal(**dict(row)) if row is not None else None


async def mark_banned(db: Executor, submission_id: int) -> None:
    await db.execute(
        "UPDATE anonymous_submissions SET author_banned = true WHERE id = $1", submission_id
    )
