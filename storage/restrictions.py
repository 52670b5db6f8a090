"""Instance-wide restrictions on remote accounts: ``suspend`` or ``limit``."""

from __future__ import annotations

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def set_restriction(
    db: Executor, actor_uri: str, severity: str, *, reason: str, who: str
) -> None:
    await db.execute(
        "INSERT INTO account_restrictions (actor_uri, severity, reason, created_by) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (actor_uri) DO UPDATE SET severity = $2, "
        "reason = $3, created_by = $4, created_at = now()",
        actor_uri, severity, reason, who,
    )  # fmt: skip


async def lift(db: Executor, actor_uri: str) -> str | None:
    """Remove the restriction; the severity it had, or None when there was none."""
    return await db.fetchval(
        "DELETE FROM account_restrictions WHERE actor_uri = $1 RETURNING severity", actor_uri
    )


async def severity(db: Executor, actor_uri: str) -> str | None:
    return await db.fetchval(
        "SELECT severity FROM account_restrictions WHERE actor_uri = $1", actor_uri
    )
