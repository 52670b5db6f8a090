"""Subscriptions to published blocklists: fetched in the background with conditional GETs,
merged by consensus, and turned into pending changes an admin approves (or that apply by
themselves for auto-apply subscriptions, except suspensions of domains where we have
members). A fetch that changes too much of a list at once is held whole."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from moderation.blocklists import consensus
from moderation.blocklists.formats import FormatError, parse
from moderation.blocklists.matcher import EffectiveList
from moderation.blocklists.model import RANK, BlockEntry
from moderation.blocklists.service import (
    BlocklistError,
    Enforce,
    Fetch,
    affected_domains,
    as_block_rows,
    cut_off,
    entry_for,
)
from storage import audit, blocklists, instance
from storage.blocklists import Change, Executor, Source

log = logging.getLogger(__name__)

SETTINGS_KEY = "blocklist.consensus"


async def settings(db: Executor) -> consensus.Settings:
    raw = await instance.get_setting(db, SETTINGS_KEY) or {}
    return consensus.Settings(
        **{k: v for k, v in raw.items() if k in consensus.Settings.__dataclass_fields__}
    )


async def set_settings(db: Executor, changes: dict[str, Any]) -> consensus.Settings:
    current = await settings(db)
    merged = {**current.__dict__, **changes}
    if merged["mode"] not in ("count", "percent") or merged["merge"] not in ("max", "min"):
        raise BlocklistError(400, "mode is count or percent; merge is max or min")
    if not 0 < float(merged["threshold"]) <= (100 if merged["mode"] == "percent" else 1e6):
        raise BlocklistError(400, "threshold must be positive (at most 100 in percent mode)")
    if not 0 < float(merged["max_change_share"]) <= 1e6:
        raise BlocklistError(400, "max_change_share must be positive")
    await instance.set_setting(db, SETTINGS_KEY, merged)
    return consensus.Settings(**merged)


async def subscribe(
    pool: asyncpg.Pool, url: str, *, name: str | None = None, fmt: str | None = None,
    trust: float = 1.0, severity_cap: str = "suspend", refresh_seconds: int = 86400,
    auto_apply: bool = False, who: str,
) -> Source:  # fmt: skip
    if not url.startswith(("https://", "http://")):
        raise BlocklistError(400, "a subscription is an http(s) URL")
    if severity_cap not in RANK or not 0 <= trust <= 1e6 or refresh_seconds < 60:
        raise BlocklistError(400, "severity cap noop/silence/suspend, trust >= 0, refresh >= 60 s")
    async with pool.acquire() as conn, conn.transaction():
        source = await blocklists.add_source(
            conn, name=name or url, url=url, fmt=fmt, trust=trust, severity_cap=severity_cap,
            refresh_seconds=refresh_seconds, auto_apply=auto_apply,
        )  # fmt: skip
        if source is None:
            raise BlocklistError(409, "a subscription with this name or URL exists")
        await audit.record(conn, who=who, action="blocklist_subscribe", target=url,
                           details={"name": source.name, "trust": trust,
                                    "auto_apply": auto_apply})  # fmt: skip
    return source


@dataclass
class SyncReport:
    sources: dict[str, str] = field(default_factory=dict)  # name -> what happened
    proposed: int = 0
    applied: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"sources": self.sources, "proposed": self.proposed, "applied": self.applied}


async def sync(
    pool: asyncpg.Pool, fetch: Fetch, *, enforce: Enforce, who: str = "subscriptions",
    force: bool = False, on_source: Callable[[str, str], None] | None = None,
) -> SyncReport:  # fmt: skip
    """Fetch the subscriptions that are due (all with ``force``), then propose and apply;
    ``on_source`` hears each subscription's outcome as it comes (a terminal's progress)."""
    report = SyncReport()
    current = await settings(pool)
    chosen = await (blocklists.sources(pool) if force else blocklists.due_sources(pool))
    for source in chosen:
        report.sources[source.name] = await _fetch_one(pool, fetch, source, current)
        if on_source is not None:
            on_source(source.name, report.sources[source.name])
    if chosen:
        report.proposed, report.applied = await propose(pool, current, enforce=enforce, who=who)
    return report


async def _fetch_one(
    pool: asyncpg.Pool, fetch: Fetch, source: Source, current: consensus.Settings
) -> str:
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        fetched = await fetch(source.url, headers)
        if fetched.status == 304:
            await blocklists.record_fetch(pool, source.id, status="unchanged (304)", set_held=False)
            return "unchanged (304)"
        parsed = parse(fetched.text, source.format)
    except Exception as exc:  # one bad list must not stop the others' refresh
        if not isinstance(exc, FormatError | BlocklistError | OSError):
            log.exception("blocklist subscription %s could not be read", source.name)
        await blocklists.record_fetch(
            pool, source.id, status="error", error=str(exc)[:500] or type(exc).__name__,
            set_held=False,
        )  # fmt: skip
        return f"error: {exc}"
    rows = [_source_row(e, source.severity_cap) for e in parsed.entries if e.severity != "noop"]
    listed = await blocklists.source_entries(pool, source.id)
    before = {(r["digest"], r["severity"]) for r in listed}
    share = consensus.change_share(before, {(r["digest"], r["severity"]) for r in rows})
    validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if before and share > current.max_change_share:
        why = (f"the list changed {share:.0%} of its entries at once (more than "
               f"{current.max_change_share:.0%}): held for review")  # fmt: skip
        # The validators are not kept: the next fetch must bring the list again, not a 304.
        await blocklists.record_fetch(pool, source.id, status="held", held=why,
                                      held_entries=rows)  # fmt: skip
        return why
    async with pool.acquire() as conn, conn.transaction():
        await blocklists.replace_source_entries(conn, source.id, rows)
        skipped = f", {len(parsed.problems)} rows skipped" if parsed.problems else ""
        status = f"updated: {len(rows)} entries{skipped}"
        await blocklists.record_fetch(conn, source.id, status=status, **validators)
    return status


def _source_row(entry: Any, ceiling: str) -> dict[str, Any]:
    return {"domain": entry.domain, "digest": entry.digest,
            "severity": consensus.cap(entry.severity, ceiling),
            "reject_media": entry.reject_media, "reject_reports": entry.reject_reports,
            "reject_follows": entry.reject_follows, "obfuscate": entry.obfuscate,
            "comment": entry.public_comment}  # fmt: skip


async def release(pool: asyncpg.Pool, name: str, *, enforce: Enforce, who: str) -> SyncReport:
    """Accept a held fetch whole (the circuit breaker tripped and an admin looked)."""
    source = await blocklists.source_by_name(pool, name)
    if source is None:
        raise BlocklistError(404, f"no subscription {name!r}")
    rows = await blocklists.held_entries(pool, source.id)
    if source.held is None or rows is None:
        raise BlocklistError(409, f"{name} has nothing held")
    async with pool.acquire() as conn, conn.transaction():
        await blocklists.replace_source_entries(conn, source.id, rows)
        await blocklists.record_fetch(conn, source.id, status=f"released: {len(rows)} entries")
        await audit.record(conn, who=who, action="blocklist_release", target=source.url)
    report = SyncReport({name: f"released: {len(rows)} entries"})
    report.proposed, report.applied = await propose(pool, await settings(pool), enforce=enforce,
                                                    who=who)  # fmt: skip
    return report


async def candidates(
    db: Executor, current: consensus.Settings, subscribed: list[Source]
) -> dict[str, consensus.Candidate]:
    by_id = {s.id: s for s in subscribed}
    words: dict[str, list[consensus.SourceWord]] = {}
    for e in await blocklists.all_source_entries(db):
        source = by_id[e["source_id"]]
        words.setdefault(e["digest"], []).append(consensus.SourceWord(
            source.name, source.trust, e["severity"], e["reject_media"], e["reject_reports"],
            e["reject_follows"], e["obfuscate"], e["comment"], e["first_seen"].isoformat(),
            e["domain"],
        ))  # fmt: skip
    total = sum(s.trust for s in by_id.values())
    return consensus.candidates(words, total, current)


async def propose(
    pool: asyncpg.Pool, current: consensus.Settings, *, enforce: Enforce, who: str
) -> tuple[int, int]:
    """Pending changes from the consensus against the effective list; the auto-applicable
    ones applied. Returns (pending now, applied)."""
    subscribed = await blocklists.sources(pool)
    wanted = await candidates(pool, current, subscribed)
    rows = await blocklists.blocks(pool)
    effective = {b.digest: {**b.__dict__} for b in rows}
    in_force = EffectiveList(rows)
    auto = {s.name for s in subscribed if s.auto_apply}
    everyone_auto = bool(auto) and auto == {s.name for s in subscribed}
    applied = 0
    proposals = consensus.diff(wanted, effective, lambda d: _inherited(in_force, d))
    await blocklists.supersede_all_but(pool, [p.domain for p in proposals])
    for proposal in proposals:
        async with pool.acquire() as conn, conn.transaction():
            # One proposer at a time (a forced sync and the background refresh may meet):
            # a transaction-scoped lock, released with this connection's transaction.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('blocklist_changes'))")
            if await blocklists.dismissed(conn, proposal.domain, proposal.fingerprint):
                await blocklists.supersede(conn, proposal.domain)
                continue
            change_id = await blocklists.propose(
                conn, domain=proposal.domain, kind=proposal.kind, current=proposal.current,
                proposed=proposal.proposed, sources=proposal.sources,
                fingerprint=proposal.fingerprint,
            )  # fmt: skip
        listed_by = {s["source"] for s in proposal.sources}
        automatic = (listed_by <= auto) if listed_by else everyone_auto
        if change_id is not None and automatic and not await _needs_confirmation(pool, proposal):
            await approve(pool, [change_id], who=who, enforce=enforce, confirm=False)
            applied += 1
    return len(await blocklists.pending_changes(pool)), applied


def _inherited(in_force: EffectiveList, domain: str) -> str | None:
    """The severity a domain gets from a parent's rule (not its own)."""
    if "*" in domain or "." not in domain:
        return None
    rule = in_force.check(domain.split(".", 1)[1])
    return rule.severity if rule is not None else None


def _as_entry(domain: str, digest: str) -> BlockEntry:
    """A suspension of this domain (or, published obfuscated, of its digest)."""
    return BlockEntry(domain=domain, severity="suspend", digest=digest)


async def _needs_confirmation(db: Executor, proposal: Any) -> bool:
    """A suspension of a domain where we have members waits for an admin, even on
    auto-apply subscriptions (an obfuscated one too: matched by its digest)."""
    proposed = proposal.proposed or {}
    if proposed.get("severity") != "suspend":
        return False
    affected = await affected_domains(db, [_as_entry(proposal.domain, proposal.digest)])
    return bool(affected) and bool((await blocklists.impact(db, affected))["followers"])


async def review(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The pending changes, each with its impact preview."""
    out = []
    for change in await blocklists.pending_changes(pool):
        digest = (change.proposed or change.current or {}).get("digest") or ""
        out.append({**describe(change), "impact": await impact_of(pool, change.domain, digest)})
    return out


async def impact_of(db: Executor, domain: str, digest: str = "") -> dict[str, Any]:
    """What suspending this domain would cut off (for a retraction or a lighter change, the
    same: who is concerned)."""
    if "*" in domain and not digest:
        return {"note": "an obfuscated domain known without its digest"}
    entry = _as_entry(domain, digest) if "*" in domain else entry_for(domain, "suspend")
    affected = await affected_domains(db, [entry]) or await _already_cut_off(db, entry)
    return {"domains": affected, **await blocklists.impact(db, affected)}


async def _already_cut_off(db: Executor, entry: BlockEntry) -> list[str]:
    """Known domains under this entry that the list already suspends (a retraction's
    preview: what lifting it would concern)."""
    matcher = EffectiveList(as_block_rows([entry]))
    return sorted(d for d in await blocklists.known_domains(db) if matcher.check(d))


def describe(change: Change) -> dict[str, Any]:
    return {"id": change.id, "domain": change.domain, "kind": change.kind,
            "current": change.current, "proposed": change.proposed,
            "sources": change.sources, "created_at": change.created_at.isoformat()}  # fmt: skip


async def approve(
    pool: asyncpg.Pool, ids: list[int] | None, *, who: str, enforce: Enforce, confirm: bool = True
) -> list[dict[str, Any]]:
    """Apply pending changes (all when ``ids`` is None); each in its own transaction."""
    changes = await blocklists.pending_changes(pool)
    chosen = changes if ids is None else [c for c in changes if c.id in set(ids)]
    missing = set(ids or ()) - {c.id for c in chosen}
    if missing:
        raise BlocklistError(404, f"no pending change {sorted(missing)[0]}")
    done = []
    for change in chosen:
        done.append(await _apply(pool, change, who=who, enforce=enforce))
    return done


async def _apply(
    pool: asyncpg.Pool, change: Change, *, who: str, enforce: Enforce
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        current = await blocklists.block(conn, change.domain)
        if not _still_current(change, current):
            # The block changed since the sources proposed this (an admin blocked by hand,
            # another change applied): proposing again against what is there now is right.
            await blocklists.supersede(conn, change.domain)
            raise BlocklistError(409, f"{change.domain}'s block changed since change "
                                      f"{change.id} was proposed; sync again")  # fmt: skip
        if not await blocklists.decide_change(conn, change.id, state="approved", who=who):
            raise BlocklistError(409, f"change {change.id} was decided meanwhile")
        was_cut_off = await cut_off(conn)
        proposed = change.proposed or {}
        flags = {f: bool(proposed.get(f)) for f in consensus.FLAGS}
        if change.kind == "retract":
            await blocklists.delete_block(conn, change.domain)
        elif current is not None and current.source != "subscriptions":
            # A block an admin made stays theirs: only its severity rises, flags add up.
            await blocklists.raise_block(conn, change.domain, proposed["severity"], flags)
        else:
            comment = next((s["comment"] for s in change.sources if s.get("comment")), "")
            row = {"domain": change.domain, "severity": proposed["severity"], **flags,
                   "comment": comment, "private_comment": "",
                   "obfuscate": bool(proposed.get("obfuscate")),
                   "digest": proposed["digest"]}  # fmt: skip
            await blocklists.upsert_blocks(conn, [row], source="subscriptions", who=who)
        newly = sorted(await cut_off(conn) - was_cut_off)
        effects = await enforce(conn, newly) if newly else {}
        await audit.record(
            conn, who=who, action=f"blocklist_{change.kind}", target=change.domain,
            source="subscriptions", details={"change": change.id, "proposed": change.proposed,
                                             "sources": change.sources},
        )  # fmt: skip
    return {"id": change.id, "domain": change.domain, "kind": change.kind, "effects": effects}


def _still_current(change: Change, current: blocklists.BlockRow | None) -> bool:
    """The block in force is the one the change was proposed against; a retraction or a
    lowering applies only to a block the subscriptions made."""
    was = change.current
    if was is None:
        return current is None
    if current is None or current.severity != was.get("severity"):
        return False
    if change.kind in ("retract", "lower", "flags"):
        return current.source == "subscriptions"
    return True


async def dismiss(pool: asyncpg.Pool, ids: list[int], *, who: str) -> int:
    done = 0
    async with pool.acquire() as conn, conn.transaction():
        for change_id in ids:
            if not await blocklists.decide_change(conn, change_id, state="dismissed", who=who):
                raise BlocklistError(404, f"no pending change {change_id}")
            found = await blocklists.change(conn, change_id)
            await audit.record(conn, who=who, action="blocklist_dismiss",
                               target=found.domain if found else str(change_id))  # fmt: skip
            done += 1
    return done
