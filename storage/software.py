"""Queries for remote hosts' software (NodeInfo), cached per domain."""

from __future__ import annotations

from datetime import datetime

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def get(db: Executor, domain: str) -> tuple[str | None, datetime] | None:
    row = await db.fetchrow(
        "SELECT software, fetched_at FROM instance_software WHERE domain = $1", domain
    )
    return None if row is None else (row["software"], row["fetched_at"])


async def put(db: Executor, domain: str, software: str | None, version: str | None) -> None:
    await db.execute(
        "INSERT INTO instance_software (domain, software, version) VALUES ($1, $2, $3) "
        "ON CONFLICT (domain) DO UPDATE SET software = EXCLUDED.software, "
        "version = EXCLUDED.version, fetched_at = now()",
        domain,
        software,
        version,
    )


async def follower_inboxes_by_software(
    db: Executor, followee_uri: str
) -> list[tuple[str, str | None]]:
    """One inbox per follower (the shared one where there is one), with its host's software."""
    rows = await db.fetch(
        """
        SELECT DISTINCT COALESCE(a.shared_inbox, a.inbox) AS inbox, s.software
        FROM follows f
        JOIN remote_actors a ON a.uri = f.follower_uri
        LEFT JOIN instance_software s ON s.domain = a.domain
        WHERE f.followee_uri = $1 AND f.state = 'accepted' AND a.deleted_at IS NULL
        """,
        followee_uri,
    )
    return [(r["inbox"], r["software"]) for r in rows]
