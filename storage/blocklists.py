"""Queries for the blocklist aggregate: domain blocks (full model), allows, subscriptions
with their sources' entries, and the pending changes they propose."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage import outbound

Executor = asyncpg.Connection | asyncpg.Pool

BLOCK_FIELDS = ("domain", "severity", "reject_media", "reject_reports", "reject_follows",
                "comment", "private_comment", "obfuscate", "digest")  # fmt: skip


@dataclass(frozen=True)
class BlockRow:
    domain: str
    severity: str
    reject_media: bool
    reject_reports: bool
    reject_follows: bool
    comment: str  # public
    private_comment: str
    obfuscate: bool
    digest: str
    source: str
    created_by: str
    created_at: datetime
    updated_at: datetime


def _block(row: asyncpg.Record) -> BlockRow:
    return BlockRow(**{k: row[k] for k in BlockRow.__dataclass_fields__})


async def version(db: Executor) -> int:
    return int(await db.fetchval("SELECT version FROM blocklist_version"))


async def bump_version(db: Executor) -> None:
    """Every process reloads its list (a setting of the list changed, not a row)."""
    await db.execute("UPDATE blocklist_version SET version = version + 1")


async def blocks(db: Executor) -> list[BlockRow]:
    return [_block(r) for r in await db.fetch("SELECT * FROM domain_blocks ORDER BY domain")]


async def block(db: Executor, domain: str) -> BlockRow | None:
    row = await db.fetchrow("SELECT * FROM domain_blocks WHERE domain = $1", domain)
    return _block(row) if row is not None else None


async def upsert_blocks(
    db: Executor, rows: Sequence[dict[str, Any]], *, source: str, who: str
) -> int:
    """Insert or update many blocks in one statement; returns how many rows it wrote."""
    if not rows:
        return 0
    columns = [[r[f] for r in rows] for f in BLOCK_FIELDS]
    status = await db.execute(
        """
        INSERT INTO domain_blocks (domain, severity, reject_media, reject_reports,
            reject_follows, comment, private_comment, obfuscate, digest, source, created_by)
        SELECT *, $10, $11 FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[],
            $5::bool[], $6::text[], $7::text[], $8::bool[], $9::text[])
        ON CONFLICT (domain) DO UPDATE SET severity = EXCLUDED.severity,
            reject_media = EXCLUDED.reject_media, reject_reports = EXCLUDED.reject_reports,
            reject_follows = EXCLUDED.reject_follows, comment = EXCLUDED.comment,
            private_comment = EXCLUDED.private_comment, obfuscate = EXCLUDED.obfuscate,
            digest = EXCLUDED.digest, source = EXCLUDED.source,
            created_by = EXCLUDED.created_by, updated_at = now()
        """,
        *columns, source, who,
    )  # fmt: skip
    return int(status.split()[-1])


async def raise_block(db: Executor, domain: str, severity: str, flags: dict[str, bool]) -> None:
    """Subscriptions asked for more than a block an admin made: the severity rises and the
    flags add up; the block stays the admin's (source, comments, obfuscation)."""
    await db.execute(
        """
        UPDATE domain_blocks SET severity = $2, reject_media = reject_media OR $3,
            reject_reports = reject_reports OR $4, reject_follows = reject_follows OR $5,
            updated_at = now()
        WHERE domain = $1
        """,
        domain, severity, flags.get("reject_media", False), flags.get("reject_reports", False),
        flags.get("reject_follows", False),
    )  # fmt: skip


async def delete_block(db: Executor, domain: str) -> BlockRow | None:
    row = await db.fetchrow("DELETE FROM domain_blocks WHERE domain = $1 RETURNING *", domain)
    return _block(row) if row is not None else None


async def allows(db: Executor) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM domain_allows ORDER BY domain")


async def add_allows(db: Executor, domains: Sequence[str], *, comment: str, who: str) -> int:
    status = await db.execute(
        "INSERT INTO domain_allows (domain, comment, created_by) "
        "SELECT d, $2, $3 FROM unnest($1::text[]) AS d ON CONFLICT (domain) DO NOTHING",
        list(domains), comment, who,
    )  # fmt: skip
    return int(status.split()[-1])


async def delete_allow(db: Executor, domain: str) -> bool:
    """Remove an allow entry; False when there was none."""
    status = await db.execute("DELETE FROM domain_allows WHERE domain = $1", domain)
    return status != "DELETE 0"


# -- subscriptions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    id: int
    name: str
    url: str
    format: str | None
    trust: float
    severity_cap: str
    refresh_seconds: int
    auto_apply: bool
    etag: str | None
    last_modified: str | None
    fetched_at: datetime | None
    next_fetch_at: datetime
    last_status: str | None
    last_error: str | None
    held: str | None


def _source(row: asyncpg.Record) -> Source:
    return Source(**{k: row[k] for k in Source.__dataclass_fields__})


async def add_source(
    db: Executor, *, name: str, url: str, fmt: str | None, trust: float, severity_cap: str,
    refresh_seconds: int, auto_apply: bool,
) -> Source | None:  # fmt: skip
    row = await db.fetchrow(
        "INSERT INTO blocklist_sources (name, url, format, trust, severity_cap, "
        "refresh_seconds, auto_apply) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT DO NOTHING RETURNING *",
        name, url, fmt, trust, severity_cap, refresh_seconds, auto_apply,
    )  # fmt: skip
    return _source(row) if row is not None else None


async def sources(db: Executor) -> list[Source]:
    return [_source(r) for r in await db.fetch("SELECT * FROM blocklist_sources ORDER BY id")]


async def source_by_name(db: Executor, name: str) -> Source | None:
    row = await db.fetchrow("SELECT * FROM blocklist_sources WHERE name = $1", name)
    return _source(row) if row is not None else None


async def due_sources(db: Executor, lease_seconds: int = 600) -> list[Source]:
    """Claim the subscriptions due for a fetch: leased (``next_fetch_at`` pushed back) so
    that another server process does not fetch them too; the fetch sets the real time."""
    rows = await db.fetch(
        """
        UPDATE blocklist_sources SET next_fetch_at = now() + make_interval(secs => $1)
        WHERE id IN (SELECT id FROM blocklist_sources WHERE next_fetch_at <= now()
                     ORDER BY id FOR UPDATE SKIP LOCKED)
        RETURNING *
        """,
        lease_seconds,
    )
    return sorted((_source(r) for r in rows), key=lambda s: s.id)


async def record_fetch(
    db: Executor,
    source_id: int,
    *,
    status: str,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    held: str | None = None,
    held_entries: list[dict[str, Any]] | None = None,
    set_held: bool = True,
) -> None:
    """What the last fetch found; validators are kept unless a new response sent them.
    ``set_held`` False (a 304, an error): a held fetch stays held."""
    await db.execute(
        """
        UPDATE blocklist_sources SET fetched_at = now(), last_status = $2, last_error = $3,
            etag = coalesce($4, etag), last_modified = coalesce($5, last_modified),
            held = CASE WHEN $8 THEN $6 ELSE held END,
            held_entries = CASE WHEN $8 THEN $7::jsonb ELSE held_entries END,
            next_fetch_at = now() + make_interval(secs => refresh_seconds)
        WHERE id = $1
        """,
        source_id, status, error, etag, last_modified, held,
        json.dumps(held_entries) if held_entries is not None else None, set_held,
    )  # fmt: skip


async def held_entries(db: Executor, source_id: int) -> list[dict[str, Any]] | None:
    raw = await db.fetchval("SELECT held_entries FROM blocklist_sources WHERE id = $1", source_id)
    return json.loads(raw) if raw is not None else None


async def source_entries(db: Executor, source_id: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM blocklist_source_entries WHERE source_id = $1 ORDER BY domain", source_id
    )


async def all_source_entries(db: Executor) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM blocklist_source_entries ORDER BY domain, source_id")


async def replace_source_entries(
    db: Executor, source_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    """A source's list as of this fetch; a domain keeps its ``first_seen`` while listed."""
    fields = ("domain", "digest", "severity", "reject_media", "reject_reports",
              "reject_follows", "obfuscate", "comment")  # fmt: skip
    columns = [[r[f] for r in rows] for f in fields]
    await db.execute(
        "DELETE FROM blocklist_source_entries WHERE source_id = $1 "
        "AND NOT (domain = ANY($2::text[]))",
        source_id, columns[0],
    )  # fmt: skip
    await db.execute(
        """
        INSERT INTO blocklist_source_entries (source_id, domain, digest, severity,
            reject_media, reject_reports, reject_follows, obfuscate, comment)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[], $6::bool[],
            $7::bool[], $8::bool[], $9::text[])
        ON CONFLICT (source_id, domain) DO UPDATE SET digest = EXCLUDED.digest,
            severity = EXCLUDED.severity, reject_media = EXCLUDED.reject_media,
            reject_reports = EXCLUDED.reject_reports, reject_follows = EXCLUDED.reject_follows,
            obfuscate = EXCLUDED.obfuscate, comment = EXCLUDED.comment
        """,
        source_id, *columns,
    )  # fmt: skip


# -- pending changes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    id: int
    domain: str
    kind: str
    current: dict[str, Any] | None
    proposed: dict[str, Any] | None
    sources: list[dict[str, Any]]
    fingerprint: str
    state: str
    created_at: datetime


def _change(row: asyncpg.Record) -> Change:
    return Change(row["id"], row["domain"], row["kind"], _load(row["current"]),
                  _load(row["proposed"]), json.loads(row["sources"]), row["fingerprint"],
                  row["state"], row["created_at"])  # fmt: skip


async def pending_changes(db: Executor) -> list[Change]:
    rows = await db.fetch("SELECT * FROM blocklist_changes WHERE state = 'pending' ORDER BY domain")
    return [_change(r) for r in rows]


async def change(db: Executor, change_id: int) -> Change | None:
    row = await db.fetchrow("SELECT * FROM blocklist_changes WHERE id = $1", change_id)
    return _change(row) if row is not None else None


async def dismissed(db: Executor, domain: str, fingerprint: str) -> bool:
    return await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM blocklist_changes WHERE domain = $1 "
        "AND fingerprint = $2 AND state = 'dismissed')",
        domain, fingerprint,
    )  # fmt: skip


async def propose(
    db: Executor, *, domain: str, kind: str, current: dict[str, Any] | None,
    proposed: dict[str, Any] | None, sources: list[dict[str, Any]], fingerprint: str,
) -> int | None:  # fmt: skip
    """A pending change for a domain, replacing (superseding) an older pending one unless it
    is the same; returns the id of the pending change, None when the same was dismissed."""
    same = await db.fetchval(
        "SELECT id FROM blocklist_changes WHERE domain = $1 AND state = 'pending' "
        "AND fingerprint = $2 AND kind = $3 AND proposed IS NOT DISTINCT FROM $4::jsonb",
        domain, fingerprint, kind, _dump(proposed),
    )  # fmt: skip
    if same is not None:
        return same
    await supersede(db, domain)
    return await db.fetchval(
        "INSERT INTO blocklist_changes (domain, kind, current, proposed, sources, fingerprint) "
        "VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6) RETURNING id",
        domain, kind, _dump(current), _dump(proposed), json.dumps(sources), fingerprint,
    )  # fmt: skip


async def supersede(db: Executor, domain: str) -> None:
    await db.execute(
        "UPDATE blocklist_changes SET state = 'superseded' WHERE domain = $1 AND state = 'pending'",
        domain,
    )


async def supersede_all_but(db: Executor, domains: Sequence[str]) -> int:
    """Pending changes the sources no longer call for (a domain dropped before anyone
    approved adding it) are superseded."""
    status = await db.execute(
        "UPDATE blocklist_changes SET state = 'superseded' WHERE state = 'pending' "
        "AND NOT (domain = ANY($1::text[]))",
        list(domains),
    )
    return int(status.split()[-1])


async def decide_change(db: Executor, change_id: int, *, state: str, who: str) -> bool:
    status = await db.execute(
        "UPDATE blocklist_changes SET state = $2, decided_by = $3, decided_at = now() "
        "WHERE id = $1 AND state = 'pending'",
        change_id, state, who,
    )  # fmt: skip
    return status != "UPDATE 0"


def _load(raw: str | None) -> Any:
    return json.loads(raw) if raw is not None else None


def _dump(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value) if value is not None else None


# -- what a block touches ----------------------------------------------------------------


async def known_domains(db: Executor) -> list[str]:
    """Every remote domain we hold anything of: cached actors, and hosts we deliver to."""
    rows = await db.fetch(
        "SELECT domain FROM remote_actors UNION SELECT split_part(host, ':', 1) FROM delivery_hosts"
    )
    return [r["domain"] for r in rows]


async def impact(db: Executor, domains: Sequence[str]) -> dict[str, Any]:
    """What blocking these (exact) domains would touch: the groups with members there and
    how many, pending follow requests, open reports, queued deliveries."""
    domains = list(domains)
    groups = await db.fetch(
        """
        SELECT la.username AS grp, count(*) AS members
        FROM follows f JOIN remote_actors ra ON ra.uri = f.follower_uri
        JOIN local_actors la ON la.kind = 'Group'
            AND right(f.followee_uri, length(la.username) + 8) = '/groups/' || la.username
        WHERE ra.domain = ANY($1::text[]) AND f.state = 'accepted'
        GROUP BY la.username ORDER BY la.username
        """,
        domains,
    )
    members = await db.fetch(
        "SELECT f.follower_uri, f.followee_uri FROM follows f "
        "JOIN remote_actors ra ON ra.uri = f.follower_uri "
        "WHERE ra.domain = ANY($1::text[]) ORDER BY 1, 2",
        domains,
    )
    pending = await db.fetchval(
        "SELECT count(*) FROM follows f JOIN remote_actors ra ON ra.uri = f.follower_uri "
        "WHERE ra.domain = ANY($1::text[]) AND f.state = 'pending'",
        domains,
    )
    reports = await db.fetchval(
        "SELECT count(*) FROM reports WHERE state = 'open' AND "
        "(split_part(split_part(actor_uri, '://', 2), '/', 1) = ANY($1::text[]) OR EXISTS ("
        "SELECT 1 FROM unnest(object_uris) o "
        "WHERE split_part(split_part(split_part(o, '://', 2), '/', 1), ':', 1) = ANY($1::text[])))",
        domains,
    )
    queued = await db.fetchval(
        "SELECT coalesce(sum(last_seq - cursor_seq), 0) FROM delivery_hosts "
        "WHERE split_part(host, ':', 1) = ANY($1::text[])",
        domains,
    )
    return {
        "groups": {r["grp"]: r["members"] for r in groups},
        "followers": [{"actor": r["follower_uri"], "follows": r["followee_uri"]} for r in members],
        "pending_follow_requests": pending,
        "open_reports": reports,
        "queued_deliveries": int(queued),
    }


async def purge_domains(db: Executor, domains: Sequence[str]) -> dict[str, int]:
    """A suspension's effects on what we hold: their follows of our actors end, what was
    queued for them is dropped, and their cached actors, keys and posts are purged."""
    domains = list(domains)
    follows = await db.execute(
        "DELETE FROM follows WHERE follower_uri IN "
        "(SELECT uri FROM remote_actors WHERE domain = ANY($1::text[]))",
        domains,
    )
    hosts = await outbound.drop_backlog_of_domains(db, domains)
    posts = await db.execute(
        "DELETE FROM remote_objects WHERE attributed_to IN "
        "(SELECT uri FROM remote_actors WHERE domain = ANY($1::text[]))",
        domains,
    )
    keys = await db.execute(
        "DELETE FROM remote_keys WHERE owner_uri IN "
        "(SELECT uri FROM remote_actors WHERE domain = ANY($1::text[]))",
        domains,
    )
    actors = await db.execute("DELETE FROM remote_actors WHERE domain = ANY($1::text[])", domains)
    return {"follows": _count(follows), "hosts_cut_off": hosts, "posts": _count(posts),
            "keys": _count(keys), "actors": _count(actors)}  # fmt: skip


def _count(status: str) -> int:
    return int(status.split()[-1])
