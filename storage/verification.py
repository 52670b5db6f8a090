"""Queries for verified roles: professional staff accounts' verifications, and the members
each group marks as verified peer supporters or professionals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class StaffVerification:
    actor_id: int
    credential: str
    verified_by: str  # the admin's username
    verified_at: datetime


@dataclass(frozen=True)
class VerifiedMember:
    group_id: int
    actor_uri: str
    role: str  # peer_supporter | professional
    credential: str
    marked_by: str
    marked_at: datetime
    # From the cached remote actor, when we have it (for the group's page).
    preferred_username: str | None = None
    domain: str | None = None
    name: str | None = None


async def set_staff(
    db: Executor, actor_id: int, credential: str, verified_by: str
) -> StaffVerification:
    row = await db.fetchrow(
        "INSERT INTO staff_verifications (actor_id, credential, verified_by) VALUES ($1, $2, $3) "
        "ON CONFLICT (actor_id) DO UPDATE SET credential = $2, verified_by = $3, "
        "verified_at = now() RETURNING *",
        actor_id, credential, verified_by,
    )  # fmt: skip
    return StaffVerification(**dict(row))


async def remove_staff(db: Executor, actor_id: int) -> bool:
    status = await db.execute("DELETE FROM staff_verifications WHERE actor_id = $1", actor_id)
    return status != "DELETE 0"


async def staff(db: Executor, actor_id: int) -> StaffVerification | None:
    row = await db.fetchrow("SELECT * FROM staff_verifications WHERE actor_id = $1", actor_id)
    return None if row is None else StaffVerification(**dict(row))


async def mark_member(
    db: Executor, group_id: int, actor_uri: str, role: str, credential: str, marked_by: str
) -> VerifiedMember:
    row = await db.fetchrow(
        "INSERT INTO group_verified_members (group_id, actor_uri, role, credential, marked_by) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (group_id, actor_uri) DO UPDATE SET "
        "role = $3, credential = $4, marked_by = $5, marked_at = now() RETURNING *",
        group_id, actor_uri, role, credential, marked_by,
    )  # fmt: skip
    return VerifiedMember(**dict(row))


async def unmark_member(db: Executor, group_id: int, actor_uri: str) -> bool:
    status = await db.execute(
        "DELETE FROM group_verified_members WHERE group_id = $1 AND actor_uri = $2",
        group_id, actor_uri,
    )  # fmt: skip
    return status != "DELETE 0"


async def members(
    db: Executor, group_id: int, group_uri: str, *, current_only: bool = True
) -> list[VerifiedMember]:
    """The group's verified members, oldest mark first; ``current_only``: only those who
    still follow the group (a member who left or was banned is not listed)."""
    rows = await db.fetch(
        """
        SELECT v.*, a.preferred_username, a.domain, a.name
        FROM group_verified_members v
        LEFT JOIN remote_actors a ON a.uri = v.actor_uri AND a.deleted_at IS NULL
        WHERE v.group_id = $1
          AND (NOT $3 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_uri = v.actor_uri
                                 AND f.followee_uri = $2 AND f.state = 'accepted'))
        ORDER BY v.marked_at, v.actor_uri
        """,
        group_id, group_uri, current_only,
    )  # fmt: skip
    return [VerifiedMember(**dict(r)) for r in rows]


async def roles_of_posts(
    db: Executor, group_id: int, group_uri: str, object_uris: list[str]
) -> dict[str, str]:
    """Which of these posts the group relayed were written by a member it verified (and who
    is still a member): object URI -> role."""
    rows = await db.fetch(
        """
        SELECT p.object_uri, v.role
        FROM group_posts p
        JOIN group_verified_members v ON v.group_id = p.group_id AND v.actor_uri = p.author_uri
        WHERE p.group_id = $1 AND p.object_uri = ANY($3::text[])
          AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_uri = v.actor_uri
                      AND f.followee_uri = $2 AND f.state = 'accepted')
        """,
        group_id, group_uri, object_uris,
    )  # fmt: skip
    return {r["object_uri"]: r["role"] for r in rows}


async def is_member(db: Executor, group_uri: str, actor_uri: str) -> bool:
    found = await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_uri = $1 AND followee_uri = $2 "
        "AND state = 'accepted')",
        actor_uri, group_uri,
    )  # fmt: skip
    return bool(found)
