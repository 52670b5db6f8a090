"""Queries for our own actors (instance actor, groups, staff) and the remote actors we cache."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True)
class LocalActor:
    id: int
    kind: str
    username: str
    name: str
    summary: str
    icon_url: str | None
    manually_approves_followers: bool
    discoverable: bool
    hide_followers: bool
    public_key_pem: str
    private_key_pem: str
    published: datetime
    rules: tuple[str, ...] = ()
    posting: str = "members"  # who may post to a group: members | anyone
    replies: str = "top-level"  # which replies a group relays: all | top-level
    role: str | None = None  # staff: admin | moderator | professional
    visibility: str = "public"  # a group's posts: public | members (members-only)


_LOCAL_COLUMNS = (
    "id, kind, username, name, summary, icon_url, manually_approves_followers, discoverable, "
    "hide_followers, public_key_pem, private_key_pem, published, rules, posting, replies, role, "
    "visibility"
)

# Settings an admin may change (column names: never taken from input unchecked).
SETTINGS = frozenset(
    {"name", "summary", "icon_url", "manually_approves_followers", "discoverable",
     "hide_followers", "rules", "posting", "replies", "visibility"}
)  # fmt: skip


def _local(row: asyncpg.Record | None) -> LocalActor | None:
    if row is None:
        return None
    data = dict(row)
    data["rules"] = tuple(json.loads(data["rules"]))
    return LocalActor(**data)


async def update_settings(db: Executor, actor_id: int, changes: dict[str, Any]) -> LocalActor:
    unknown = set(changes) - SETTINGS
    if unknown:
        raise ValueError(f"not a setting: {', '.join(sorted(unknown))}")
    values = {k: json.dumps(list(v)) if k == "rules" else v for k, v in changes.items()}
    assignments = ", ".join(
        f"{name} = ${i}::jsonb" if name == "rules" else f"{name} = ${i}"
        for i, name in enumerate(values, start=2)
    )
    row = await db.fetchrow(
        f"UPDATE local_actors SET {assignments} WHERE id = $1 RETURNING {_LOCAL_COLUMNS}",
        actor_id,
        *values.values(),
    )
    actor = _local(row)
    if actor is None:
        raise LookupError(f"no local actor {actor_id}")
    return actor


async def create_local_actor(
    db: Executor,
    *,
    kind: str,
    username: str,
    name: str,
    public_key_pem: str,
    private_key_pem: str,
    summary: str = "",
    manually_approves_followers: bool = False,
    role: str | None = None,
) -> LocalActor | None:
    """Insert an actor; ``None`` when the username is taken (UNIQUE, not a pre-check race)."""
    row = await db.fetchrow(
        f"""
        INSERT INTO local_actors
            (kind, username, name, summary, manually_approves_followers,
             public_key_pem, private_key_pem, role)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT DO NOTHING
        RETURNING {_LOCAL_COLUMNS}
        """,
        kind,
        username,
        name,
        summary,
        manually_approves_followers,
        public_key_pem,
        private_key_pem,
        role,
    )
    return _local(row)


async def local_actor_by_username(db: Executor, username: str) -> LocalActor | None:
    row = await db.fetchrow(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE username = $1", username
    )
    return _local(row)


async def local_actor_by_id(db: Executor, actor_id: int) -> LocalActor | None:
    row = await db.fetchrow(f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE id = $1", actor_id)
    return _local(row)


async def instance_actor(db: Executor) -> LocalActor | None:
    row = await db.fetchrow(f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE kind = 'Application'")
    return _local(row)


async def list_local_actors(db: Executor, kind: str | None = None) -> list[LocalActor]:
    rows = await db.fetch(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE $1::text IS NULL OR kind = $1 "
        "ORDER BY username",
        kind,
    )
    return [actor for r in rows if (actor := _local(r)) is not None]


async def count_local_actors(db: Executor, kind: str) -> int:
    return int(await db.fetchval("SELECT count(*) FROM local_actors WHERE kind = $1", kind))


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    domain: str
    type: str
    preferred_username: str | None
    name: str | None
    inbox: str
    shared_inbox: str | None
    followers_url: str | None
    url: str | None
    moved_to: str | None
    document: dict[str, Any]
    fetched_at: datetime
    deleted_at: datetime | None


async def upsert_remote_actor(db: Executor, actor: RemoteActor) -> None:
    await db.execute(
        """
        INSERT INTO remote_actors (uri, domain, type, preferred_username, name, inbox,
            shared_inbox, followers_url, url, moved_to, document, fetched_at, deleted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, NULL)
        ON CONFLICT (uri) DO UPDATE SET
            domain = EXCLUDED.domain, type = EXCLUDED.type,
            preferred_username = EXCLUDED.preferred_username, name = EXCLUDED.name,
            inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox,
            followers_url = EXCLUDED.followers_url, url = EXCLUDED.url,
            moved_to = EXCLUDED.moved_to, document = EXCLUDED.document,
            fetched_at = EXCLUDED.fetched_at, deleted_at = NULL
        """,
        actor.uri,
        actor.domain,
        actor.type,
        actor.preferred_username,
        actor.name,
        actor.inbox,
        actor.shared_inbox,
        actor.followers_url,
        actor.url,
        actor.moved_to,
        json.dumps(actor.document),
        actor.fetched_at,
    )


async def remote_actor(db: Executor, uri: str) -> RemoteActor | None:
    row = await db.fetchrow("SELECT * FROM remote_actors WHERE uri = $1", uri)
    if row is None:
        return None
    data = dict(row)
    data["document"] = json.loads(data["document"])
    return RemoteActor(**data)


async def set_moved_to(db: Executor, uri: str, target: str) -> None:
    await db.execute("UPDATE remote_actors SET moved_to = $2 WHERE uri = $1", uri, target)


async def mark_remote_actor_deleted(db: Executor, uri: str) -> None:
    """A Delete of an actor: keep a tombstone row, forget its keys."""
    await db.execute("UPDATE remote_actors SET deleted_at = now() WHERE uri = $1", uri)
    await db.execute("DELETE FROM remote_keys WHERE owner_uri = $1", uri)


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    owner_uri: str
    public_key_pem: str
    fetched_at: datetime


async def remote_key(db: Executor, key_id: str) -> RemoteKey | None:
    row = await db.fetchrow("SELECT * FROM remote_keys WHERE key_id = $1", key_id)
    return None if row is None else RemoteKey(**dict(row))


async def upsert_remote_key(db: Executor, key: RemoteKey) -> None:
    await db.execute(
        """
        INSERT INTO remote_keys (key_id, owner_uri, public_key_pem, fetched_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (key_id) DO UPDATE SET owner_uri = EXCLUDED.owner_uri,
            public_key_pem = EXCLUDED.public_key_pem, fetched_at = EXCLUDED.fetched_at
        """,
        key.key_id,
        key.owner_uri,
        key.public_key_pem,
        key.fetched_at,
    )


async def strip_remote_actor_fields(db: Executor, uri: str, fields: list[str]) -> None:
    """Drop fields (``icon``, ``image``) from a cached remote actor: a moderation policy
    removes its avatar or banner."""
    await db.execute(
        "UPDATE remote_actors SET document = document - $2::text[] WHERE uri = $1", uri, fields
    )
