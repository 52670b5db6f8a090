"""Queries for admin API tokens (stored as SHA-256 hashes, never in the clear)."""

from __future__ import annotations

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def add(db: Executor, token_hash: str, actor_id: int) -> None:
    await db.execute(
        "INSERT INTO api_tokens (token_hash, actor_id) VALUES ($1, $2)", token_hash, actor_id
    )


async def actor_for(db: Executor, token_hash: str) -> int | None:
    return await db.fetchval("SELECT actor_id FROM api_tokens WHERE token_hash = $1", token_hash)
