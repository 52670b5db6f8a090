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


async def severity_for_any(
    db: asyncpg.Pool | asyncpg.Connection, candidates: list[str]
) -> str | None:
    """The severity of the most specific rule among ``candidates`` (a domain and its parents),
    or ``None``."""
    row = await db.fetchrow(
        "SELECT severity FROM domain_blocks WHERE domain = ANY($1::text[]) "
        "ORDER BY length(domain) DESC LIMIT 1",
        candidates,
    )
    return None if row is None else row["severity"]


async def count(db: asyncpg.Pool | asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM domain_blocks WHERE severity = 'suspend'"))


async def remove(db: asyncpg.Pool | asyncpg.Connection, domain: str) -> bool:
    status = await db.execute("DELETE FROM domain_blocks WHERE domain = $1", domain)
    return status != "DELETE 0"


async def listing(db: asyncpg.Pool | asyncpg.Connection) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM domain_blocks ORDER BY domain")
