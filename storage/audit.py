"""The append-only audit log of moderation decisions and actions (a trigger refuses UPDATE
and DELETE on the table)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    who: str
    action: str
    target: str
    reason: str
    source: str
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "who": self.who, "action": self.action,
            "target": self.target, "reason": self.reason, "source": self.source,
            "details": self.details,
        }  # fmt: skip


async def record(
    db: Executor,
    *,
    who: str,
    action: str,
    target: str,
    reason: str = "",
    source: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    await db.execute(
        "INSERT INTO audit_log (who, action, target, reason, source, details) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        who, action, target, reason, source, json.dumps(details or {}),
    )  # fmt: skip


async def record_many(db: Executor, rows: list[dict[str, str]]) -> None:
    """Many entries in one statement (an import of thousands of blocks): ``who``,
    ``action``, ``target``, ``reason``, ``source`` each."""
    if not rows:
        return
    fields = ("who", "action", "target", "reason", "source")
    await db.execute(
        "INSERT INTO audit_log (who, action, target, reason, source) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
        *([r.get(f, "") for r in rows] for f in fields),
    )


async def entries(
    db: Executor,
    *,
    target: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[Entry]:
    rows = await db.fetch(
        "SELECT * FROM audit_log WHERE ($1::text IS NULL OR target = $1) "
        "AND ($2::text IS NULL OR action = $2) ORDER BY id DESC LIMIT $3",
        target, action, limit,
    )  # fmt: skip
    return [_entry(r) for r in rows]


def _entry(r: asyncpg.Record) -> Entry:
    details = json.loads(r["details"])
    return Entry(
        r["id"], r["at"], r["who"], r["action"], r["target"], r["reason"], r["source"], details
    )
