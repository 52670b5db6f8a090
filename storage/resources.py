"""Queries for crisis resources (crisis lines, services, self-help links)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool
FIELDS = ("country", "name", "kind", "phone", "url", "hours", "languages", "source",
          "checked_on")  # fmt: skip


async def add_many(
    db: Executor, rows: Sequence[dict[str, Any]], group_id: int | None = None
) -> int:
    """Add resources (a repeated one, same country, name and phone, is updated)."""
    if not rows:
        return 0
    columns = [[r.get(f, "" if f != "languages" else []) for r in rows] for f in FIELDS]
    status = await db.execute(
        """
        INSERT INTO crisis_resources (group_id, country, name, kind, phone, url, hours,
            languages, source, checked_on)
        SELECT $1, c, n, k, p, u, h, string_to_array(l, '|'), s, d
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::text[], $9::text[], $10::text[]) AS t(c, n, k, p, u, h, l, s, d)
        ON CONFLICT (coalesce(group_id, 0), country, name, phone) DO UPDATE SET
            kind = EXCLUDED.kind, url = EXCLUDED.url, hours = EXCLUDED.hours,
            languages = EXCLUDED.languages, source = EXCLUDED.source,
            checked_on = EXCLUDED.checked_on
        """,
        group_id, *columns[:6], ["|".join(x) for x in columns[6]], *columns[7:],
    )  # fmt: skip
    return int(status.split()[-1])


async def add_one(db: Executor, row: dict[str, Any], group_id: int | None) -> dict[str, Any] | None:
    """Add one entry; None when one with the same country, name and phone is there."""
    found = await db.fetchrow(
        "INSERT INTO crisis_resources (group_id, country, name, kind, phone, url, hours, "
        "languages, source, checked_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT DO NOTHING RETURNING *",
        group_id, row["country"], row["name"], row.get("kind", "crisis_line"),
        row.get("phone", ""), row.get("url", ""), row.get("hours", ""),
        list(row.get("languages", [])), row.get("source", ""), row.get("checked_on", ""),
    )  # fmt: skip
    return dict(found) if found is not None else None


async def listing(
    db: Executor, *, country: str | None = None, group_id: int | None = None
) -> list[dict[str, Any]]:
    """Instance-wide resources, and a group's own when ``group_id`` is given."""
    rows = await db.fetch(
        "SELECT * FROM crisis_resources WHERE ($1::text IS NULL OR country = $1) "
        "AND (group_id IS NULL OR group_id = $2) ORDER BY country, kind, name",
        country, group_id,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def for_country(db: Executor, country: str, group_id: int | None) -> list[dict[str, Any]]:
    """What a person in ``country`` may be given: that country's and the international
    lines, instance-wide and the group's own."""
    rows = await db.fetch(
        "SELECT * FROM crisis_resources WHERE country = ANY($1::text[]) "
        "AND (group_id IS NULL OR group_id = $2) ORDER BY kind, name",
        [country, "INT"], group_id,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def knows_country(db: Executor, country: str) -> bool:
    """Whether the directory has lines for ``country`` (a code a person may ask for)."""
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM crisis_resources WHERE country = $1)", country
    ))  # fmt: skip


async def get(db: Executor, resource_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow("SELECT * FROM crisis_resources WHERE id = $1", resource_id)
    return dict(row) if row is not None else None


async def remove(db: Executor, resource_id: int) -> bool:
    status = await db.execute("DELETE FROM crisis_resources WHERE id = $1", resource_id)
    return status != "DELETE 0"


async def of_group(db: Executor, group_id: int, country: str) -> list[dict[str, Any]]:
    """What a group shows: its own lines, then the instance's for ``country``."""
    rows = await db.fetch(
        "SELECT * FROM crisis_resources WHERE group_id = $1 "
        "OR (group_id IS NULL AND country = $2) "
        "ORDER BY group_id IS NULL, kind != 'crisis_line', kind, name",
        group_id, country,
    )  # fmt: skip
    return [dict(r) for r in rows]
