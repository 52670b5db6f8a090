"""Blocklist operations the CLI and the admin API share: import, export, block, unblock,
allow, subscribe, sync, review (pending changes with their impact), approve, dismiss, why.

I/O is handed in: ``fetch`` gets a subscription's document (conditional GET), and
``enforce`` applies a suspension's effects inside the transaction that makes it, so nothing
is half done. Both come from the server, which owns the federation machinery."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from moderation.blocklists.formats import FormatError, clean_domain, parse
from moderation.blocklists.matcher import EffectiveList
from moderation.blocklists.model import RANK, BlockEntry, ParsedList, RowProblem, digest_of
from storage import audit, blocklists, instance
from storage.blocklists import Executor

Enforce = Callable[[asyncpg.Connection, list[str]], Awaitable[dict[str, int]]]
Progress = Callable[[int, int], None]  # done, total


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 when unchanged
    text: str = ""
    etag: str | None = None
    last_modified: str | None = None


Fetch = Callable[[str, dict[str, str]], Awaitable[Fetched]]


class BlocklistError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


@dataclass
class ImportReport:
    format: str
    rows: int
    imported: int
    problems: list[RowProblem]
    applied: bool
    suspended: list[str] = field(default_factory=list)
    effects: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"format": self.format, "rows": self.rows, "imported": self.imported,
                "skipped": [{"line": p.line, "reason": p.reason} for p in self.problems],
                "applied": self.applied, "newly_suspended": len(self.suspended),
                "effects": self.effects}  # fmt: skip


def _row(entry: BlockEntry) -> dict[str, Any]:
    return {"domain": entry.domain, "severity": entry.severity,
            "reject_media": entry.reject_media, "reject_reports": entry.reject_reports,
            "reject_follows": entry.reject_follows, "comment": entry.public_comment,
            "private_comment": entry.private_comment, "obfuscate": entry.obfuscate,
            "digest": entry.digest}  # fmt: skip


async def cut_off(db: Executor, extra: Sequence[BlockEntry] = ()) -> set[str]:
    """The domains we hold anything of that the effective list suspends (with ``extra``
    entries added: a preview). Decided by the same matcher as every check, so an allow entry
    or a milder rule for a subdomain is respected; one pass over what we know, in memory."""
    rows = {b.domain: b for b in await blocklists.blocks(db)}
    rows.update((e.domain, row) for e, row in zip(extra, as_block_rows(extra), strict=True))
    allows = [r["domain"] for r in await blocklists.allows(db)]
    effective = EffectiveList(rows.values(), allows)  # explicit blocks only, not allowlist mode
    known = await blocklists.known_domains(db)
    return {d for d in known if (rule := effective.check(d)) and rule.severity == "suspend"}


async def affected_domains(db: Executor, entries: Sequence[BlockEntry]) -> list[str]:
    """What these suspensions would newly cut off (the impact of a proposed change)."""
    if not any(e.severity == "suspend" for e in entries):
        return []
    return sorted(await cut_off(db, entries) - await cut_off(db))


def as_block_rows(entries: Sequence[BlockEntry]) -> list[blocklists.BlockRow]:
    """Entries as stored rows, for the in-memory matcher."""
    now = datetime.now(UTC)
    return [blocklists.BlockRow(**_row(e), source="", created_by="", created_at=now,
                                updated_at=now) for e in entries]  # fmt: skip


async def write_blocks(
    pool: asyncpg.Pool,
    entries: Sequence[BlockEntry],
    *,
    source: str,
    who: str,
    enforce: Enforce,
    progress: Progress | None = None,
    batch: int = 5000,
) -> tuple[list[str], dict[str, int]]:
    """Write blocks and enforce the new suspensions, in one transaction; returns the known
    domains newly cut off and the effects."""
    async with pool.acquire() as conn, conn.transaction():
        before = {b.digest: b.severity for b in await blocklists.blocks(conn)}
        was_cut_off = await cut_off(conn)
        for start in range(0, len(entries), batch):
            chunk = entries[start : start + batch]
            await blocklists.upsert_blocks(conn, [_row(e) for e in chunk], source=source, who=who)
            if progress is not None:
                progress(min(start + batch, len(entries)), len(entries))
        domains = sorted(await cut_off(conn) - was_cut_off)
        effects = await enforce(conn, domains) if domains else {}
        changed = [e for e in entries if before.get(e.digest) != e.severity]
        await audit.record_many(conn, [
            {"who": who, "action": f"domain_{e.severity}", "target": e.domain,
             "reason": e.private_comment, "source": source} for e in changed
        ])  # fmt: skip
    return domains, effects


async def import_list(
    pool: asyncpg.Pool,
    text: str,
    *,
    fmt: str | None = None,
    name: str = "import",
    apply: bool = False,
    allow: bool = False,
    who: str,
    enforce: Enforce,
    progress: Progress | None = None,
) -> ImportReport:
    """Read a list; with ``apply``, put it in force (allow entries, or blocks with their
    suspensions enforced)."""
    try:
        parsed: ParsedList = await asyncio.to_thread(parse, text, fmt, allow=allow)
    except FormatError as exc:
        raise BlocklistError(400, str(exc)) from None
    report = ImportReport(parsed.format, parsed.rows, len(parsed.entries), parsed.problems, apply)
    if not apply:
        return report
    if allow:
        async with pool.acquire() as conn, conn.transaction():
            await blocklists.add_allows(conn, [e.domain for e in parsed.entries if not e.hidden],
                                        comment=f"import:{name}", who=who)  # fmt: skip
            await audit.record(conn, who=who, action="allowlist_import", target=name,
                               details={"domains": len(parsed.entries)})  # fmt: skip
        return report
    report.suspended, report.effects = await write_blocks(
        pool, parsed.entries, source=f"import:{name}", who=who, enforce=enforce,
        progress=progress,
    )  # fmt: skip
    return report


async def block(
    pool: asyncpg.Pool, entry: BlockEntry, *, who: str, enforce: Enforce
) -> dict[str, Any]:
    domains, effects = await write_blocks(pool, [entry], source="manual", who=who, enforce=enforce)
    return {"domain": entry.domain, "severity": entry.severity, "cut_off": domains,
            "effects": effects}  # fmt: skip


def _name(domain: str, *, starred: bool = False) -> str:
    """A domain as stored, or a 400; ``starred``: an obfuscated entry's published name."""
    if starred and "*" in domain:
        return domain.strip().lower()
    try:
        return clean_domain(domain)
    except ValueError as exc:
        raise BlocklistError(400, str(exc)) from None


async def unblock(pool: asyncpg.Pool, domain: str, *, who: str, reason: str = "") -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        removed = await blocklists.delete_block(conn, _name(domain, starred=True))
        if removed is None:
            raise BlocklistError(409, f"{domain} is not blocked")
        await audit.record(conn, who=who, action="domain_unblock", target=removed.domain,
                           reason=reason, details={"was": removed.severity})  # fmt: skip
    return {"domain": removed.domain, "blocked": False,
            "note": "follows that ended and what was purged are not restored"}  # fmt: skip


async def allow(pool: asyncpg.Pool, domain: str, *, who: str, comment: str = "") -> dict[str, Any]:
    name = _name(domain)
    async with pool.acquire() as conn, conn.transaction():
        await blocklists.add_allows(conn, [name], comment=comment, who=who)
        await audit.record(conn, who=who, action="domain_allow", target=name, reason=comment)
    return {"domain": name, "allowed": True}


async def unallow(pool: asyncpg.Pool, domain: str, *, who: str) -> dict[str, Any]:
    name = _name(domain)
    async with pool.acquire() as conn, conn.transaction():
        if not await blocklists.delete_allow(conn, name):
            raise BlocklistError(409, f"{name} is not on the allow list")
        await audit.record(conn, who=who, action="domain_unallow", target=name)
    return {"domain": name, "allowed": False}


async def why(pool: asyncpg.Pool, domain: str) -> dict[str, Any]:
    """What blocks a domain, since when, by whose decision, on which sources' word."""
    name = _name(domain)
    effective = await _live_list(pool)
    rule = effective.check(name)
    answer: dict[str, Any] = {
        "domain": name,
        "blocked": rule is not None and rule.severity != "noop",
    }
    if rule is None:
        allowed = [r for r in await blocklists.allows(pool) if name == r["domain"]
                   or name.endswith("." + r["domain"])]  # fmt: skip
        if allowed:
            answer["allowed_by"] = {"domain": allowed[0]["domain"], "by": allowed[0]["created_by"],
                                    "since": allowed[0]["created_at"].isoformat()}  # fmt: skip
        return answer
    answer["rule"] = {"domain": rule.domain, "severity": rule.severity, "via": rule.via}
    row = await blocklists.block(pool, rule.domain) if rule.via == "domain" else None
    if row is not None:
        answer["rule"].update(since=row.created_at.isoformat(), source=row.source,
                              by=row.created_by, public_comment=row.comment,
                              private_comment=row.private_comment)  # fmt: skip
    digest = rule.digest or digest_of(rule.domain)
    names = {s.id: s.name for s in await blocklists.sources(pool)}
    answer["sources"] = [
        {"source": names.get(e["source_id"], "?"), "severity": e["severity"],
         "comment": e["comment"], "since": e["first_seen"].isoformat()}
        for e in await blocklists.all_source_entries(pool) if e["digest"] == digest
    ]  # fmt: skip
    return answer


async def _live_list(db: Executor) -> EffectiveList:
    blocks = await blocklists.blocks(db)
    allows = [r["domain"] for r in await blocklists.allows(db)]
    mode = bool(await instance.get_setting(db, "blocklist.allowlist_mode"))
    return EffectiveList(blocks, allows, mode)


def entry_for(domain: str, severity: str, **flags: Any) -> BlockEntry:
    try:
        name = clean_domain(domain)
    except ValueError as exc:
        raise BlocklistError(400, str(exc)) from None
    if severity not in RANK:
        raise BlocklistError(400, f"severity must be one of {', '.join(RANK)}")
    return BlockEntry(domain=name, severity=severity, digest=digest_of(name), **flags)


def entry_of(row: blocklists.BlockRow) -> BlockEntry:
    """A stored block as a list entry (to export or publish it)."""
    return BlockEntry(
        domain=row.domain, severity=row.severity, reject_media=row.reject_media,
        reject_reports=row.reject_reports, reject_follows=row.reject_follows,
        public_comment=row.comment, private_comment=row.private_comment,
        obfuscate=row.obfuscate, digest=row.digest,
    )  # fmt: skip
