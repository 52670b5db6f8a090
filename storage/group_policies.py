"""Each group's own policy tables (JSON, the shape of the instance file's ``[[policy]]``)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


async def get(db: Executor, group_id: int) -> list[dict[str, Any]]:
    raw = await db.fetchval("SELECT policies FROM group_policies WHERE group_id = $1", group_id)
    return json.loads(raw) if raw is not None else []


async def put(db: Executor, group_id: int, policies: list[dict[str, Any]]) -> None:
    await db.execute(
        "INSERT INTO group_policies (group_id, policies) VALUES ($1, $2) "
        "ON CONFLICT (group_id) DO UPDATE SET policies = $2, updated_at = now()",
        group_id, json.dumps(policies),
    )  # fmt: skip
