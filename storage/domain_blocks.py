"""Queries for instance domain blocks."""

from __future__ import annotations

import asyncpg


async def add(
    db: asyncpg.Pool | asyncpg.Connection,
    domain: str,
    severity: str = "suspend",
    comment: str = "",
    *,
    private_comment: str = "",
    obfuscate: bool = False,
) -> None:
    """``comment`` is public (shown on /about/moderation); ``private_comment`` is not."""
    await db.execute(
        "INSERT INTO domain_blocks (domain, severity, comment, private_comment, obfuscate) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain) DO UPDATE SET "
        "severity = EXCLUDED.severity, comment = EXCLUDED.comment, "
        "private_comment = EXCLUDED.private_comment, obfuscate = EXCLUDED.obfuscate",
        domain, severity, comment, private_comment, obfuscate,
    )  # fmt: skip


async def count(db: asyncpg.Pool | asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM domain_blocks WHERE severity = 'suspend'"))
