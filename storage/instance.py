"""Queries for the instance_settings aggregate: a small key/value store of run-time settings."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def get_setting(conn: asyncpg.Connection | asyncpg.Pool, key: str) -> Any | None:
    raw = await conn.fetchval("SELECT value FROM instance_settings WHERE key = $1", key)
    return None if raw is None else json.loads(raw)


async def set_setting(conn: asyncpg.Connection | asyncpg.Pool, key: str, value: Any) -> None:
    await conn.execute(
        """
        INSERT INTO instance_settings (key, value) VALUES ($1, $2::jsonb)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
        """,
        key,
        json.dumps(value),
    )
