"""A group's own crisis settings (``crisis_group_settings``)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class GroupCrisisSettings:
    concern_message: bool = False  # write to people whose post is marked concern, too
    country: str | None = None  # whose lines its members get (default: the instance's)


async def get(db: Executor, group_id: int) -> GroupCrisisSettings:
    row = await db.fetchrow(
        "SELECT concern_message, country FROM crisis_group_settings WHERE group_id = $1",
        group_id,
    )
    return (
        GroupCrisisSettings(row["concern_message"], row["country"])
        if row
        else GroupCrisisSettings()
    )


async def put(db: Executor, group_id: int, settings: GroupCrisisSettings) -> None:
    await db.execute(
        "INSERT INTO crisis_group_settings (group_id, concern_message, country) "
        "VALUES ($1, $2, $3) ON CONFLICT (group_id) DO UPDATE SET "
        "concern_message = EXCLUDED.concern_message, country = EXCLUDED.country",
        group_id, settings.concern_message, settings.country,
    )  # fmt: skip


async def pinned_note(db: Executor, group_id: int) -> str | None:
    """The group's pinned post of crisis lines, if it has one."""
    return await db.fetchval(
        "SELECT pinned_note FROM crisis_group_settings WHERE group_id = $1", group_id
    )


async def set_pinned_note(db: Executor, group_id: int, note: str) -> None:
    await db.execute(
        "INSERT INTO crisis_group_settings (group_id, pinned_note) VALUES ($1, $2) "
        "ON CONFLICT (group_id) DO UPDATE SET pinned_note = EXCLUDED.pinned_note",
        group_id, note,
    )  # fmt: skip
