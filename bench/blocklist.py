"""Blocklist benchmark: import a 20,000-row list, then check 100,000 incoming hosts.

    python -m bench.blocklist [--rows 20000] [--checks 100000] [--seed 1]

A Mastodon CSV export of ``--rows`` distinct domains (2-4 labels, varied TLDs; mostly
suspend, some silence and noop, flags, public comments some of which hold commas and quotes)
is imported with ``service.import_list(..., apply=True)`` into a fresh migrated PostgreSQL
(embedded, or a new database on ``DATABASE_URL``'s server) that already holds a group and a
few hundred remote actors following it, some of them on the listed domains: the time covers
parsing, the batched writes, matching what we hold against the new suspensions, purging it
(``storage.blocklists.purge_domains``, as the server's enforcer does), the audit log and the
commit. Then ``--checks`` incoming hosts (listed domains, their subdomains, unlisted hosts;
some with a port, some not in lower case) go through ``LiveBlocklist.rule`` as the inbox
asks it, timed in batches of 1,000. Last, the per-host cost against in-memory
``EffectiveList``s of 1,000, 20,000 and 100,000 entries: the same host strings against the
three (their listed part drawn from the 1,000 entries the three lists share), and hosts
whose listed part comes from 1,000 entries spread over each whole list; then, for 20,000
entries, with 100 obfuscated ("ex***le.org", matched by digest) entries added, and with the
checks drawn from only 2,000 distinct hosts (as a server sees the same peers again and
again: the host normalization is then cached). Followers on a silenced or noop domain under
a suspended one are counted when the import purges them (``purged_under_lesser_rule``).

Speed is measured, not asserted: the exit status is non-zero only when something is wrong
(rows missing after the import, follows from suspended domains still there or others gone,
a check answering differently from a plain reference lookup). A short summary goes to
stderr, one JSON line to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import io
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.common import emit, postgres
from federation.local import create_actor
from moderation.blocklists import service
from moderation.blocklists.formats import MASTODON_COLUMNS, obfuscated, parse
from moderation.blocklists.live import LiveBlocklist
from moderation.blocklists.matcher import EffectiveList
from moderation.blocklists.model import digest_of
from moderation.domains import domain_suffixes, normalize_domain
from storage import blocklists
from storage.blocklists import BlockRow

BATCH = 1000  # checks per timed sample
SIZES = (1000, 20000, 100000)
ACTOR_DOMAINS = 160
BASE_URL = "https://peerhaven.bench"

# --- the list -----------------------------------------------------------------------------

WORDS = (
    "social", "toot", "fedi", "verse", "town", "cafe", "space", "zone", "garden", "hive",
    "nest", "den", "pub", "club", "forest", "river", "stone", "cloud", "star", "moon", "sun",
    "sea", "wave", "storm", "fire", "frost", "iron", "gold", "silver", "pixel", "byte", "code",
    "hack", "punk", "goth", "queer", "furry", "anime", "meme", "chan", "kek", "based", "free",
    "speech", "truth", "patriot", "liberty", "eagle", "wolf", "fox", "cat", "dog", "bird",
    "owl", "raven", "crow", "bear", "frog", "toad", "ghost", "void", "chaos", "order", "red",
    "blue", "green", "black", "white", "dark", "light", "night", "day", "old", "new", "big",
    "little", "north", "south", "east", "west", "city", "village", "home", "house", "tower",
    "castle", "island", "lake", "hill", "mountain", "valley", "field", "farm", "market",
    "shop", "news", "post", "mail", "chat", "talk", "voice", "noise", "loud", "quiet", "wild",
    "crazy", "happy", "mad", "bad", "good", "best", "top", "alpha", "beta", "gamma", "delta",
    "omega", "nova", "astro", "cosmo", "quantum", "cyber", "techno", "retro", "neo", "meta",
    "ultra", "mega", "giga", "bot", "spam", "crypto", "nft", "coin", "deal", "promo",
)  # fmt: skip
SYLLABLES = (
    "ka", "ko", "ki", "lo", "la", "mi", "mu", "ra", "ri", "ze", "zu", "tu", "ta", "vo", "ve",
    "ne", "na", "si", "so", "pa", "po", "do", "de", "gri", "bel", "mon", "tar", "quin", "vex",
    "dra", "ul", "or", "an", "el", "is", "um", "ax", "yx", "zor", "pel", "mar", "cor", "lin",
    "tor", "sha", "kyo", "ryu", "ban", "dor", "fen",
)  # fmt: skip
PREFIXES = (
    "mastodon", "social", "masto", "fedi", "pl", "pleroma", "misskey", "mk", "m", "toot",
    "gts", "akkoma", "sharkey", "firefish", "friendica", "hub", "pixelfed", "lemmy", "kbin",
    "peertube", "video", "tube", "s", "a", "x", "mstdn", "chat", "community", "instance",
)  # fmt: skip
TLDS = (
    ("com", 20), ("org", 9), ("net", 8), ("social", 9), ("xyz", 6), ("online", 4), ("club", 3),
    ("space", 3), ("de", 4), ("fr", 2), ("jp", 2), ("io", 3), ("dev", 2), ("cafe", 2),
    ("town", 2), ("zone", 2), ("lol", 1), ("ru", 2), ("nl", 2), ("uk", 1), ("co.uk", 2),
    ("com.br", 1), ("or.jp", 1), ("com.au", 1), ("party", 1), ("world", 1), ("cloud", 1),
    ("site", 2), ("top", 2), ("me", 2), ("tv", 1), ("gay", 1), ("chat", 1), ("fun", 1),
)  # fmt: skip
HOST_LABELS = ("media", "files", "cdn", "relay", "www", "api", "m", "social", "u", "node")
COMMENTS = (
    *[""] * 14, "Spam", "Harassment", "No moderation", "CSAM", "Bots", "Nazi content",
    "Doxxing", "Hate speech", "Transphobia", "Racism", "Crypto spam", "Scrapers",
    "Unmoderated, open sign-ups", "harassment, hate speech", "spam, bots, and scrapers",
    'a "free speech" instance, i.e. none', "Harassment of our members, see the mod thread",
)  # fmt: skip


def _name(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.30:
        return rng.choice(WORDS)
    if kind < 0.55:
        return rng.choice(WORDS) + rng.choice(("", "-")) + rng.choice(WORDS)
    if kind < 0.75:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    if kind < 0.85:
        return rng.choice(WORDS) + str(rng.randint(10, 9999))
    return "".join(rng.choice(SYLLABLES) for _ in range(2)) + rng.choice(WORDS)


_TLD_NAMES, _TLD_WEIGHTS = zip(*TLDS, strict=True)


def random_domain(rng: random.Random) -> str:
    """A plausible domain of 2-4 labels."""
    target = rng.choices((2, 3, 4), (55, 33, 12))[0]
    labels = [_name(rng), *rng.choices(_TLD_NAMES, _TLD_WEIGHTS)[0].split(".")]
    while len(labels) < target:
        labels.insert(0, rng.choice(PREFIXES if len(labels) == 2 else HOST_LABELS))
    return ".".join(labels)


def domains(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        name = random_domain(rng)
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


@dataclass(frozen=True)
class Row:
    domain: str
    severity: str
    reject_media: bool
    reject_reports: bool
    comment: str
    obfuscate: bool


def list_rows(rng: random.Random, names: Sequence[str]) -> list[Row]:
    rows = []
    for name in names:
        severity = rng.choices(("suspend", "silence", "noop"), (80, 15, 5))[0]
        media = severity != "suspend" and rng.random() < 0.6
        reports = rng.random() < (0.5 if severity == "suspend" else 0.2)
        rows.append(Row(name, severity, media, reports, rng.choice(COMMENTS), rng.random() < 0.05))
    return rows


def mastodon_csv(rows: Sequence[Row]) -> str:
    """The list as Mastodon 4.x exports it (written here, not by the code under test)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MASTODON_COLUMNS)
    flag = {True: "true", False: "false"}
    for r in rows:
        writer.writerow([r.domain, r.severity, flag[r.reject_media], flag[r.reject_reports],
                         r.comment, flag[r.obfuscate]])  # fmt: skip
    return out.getvalue()


def block_rows(rows: Sequence[Row]) -> list[BlockRow]:
    now = datetime.now(UTC)
    return [
        BlockRow(r.domain, r.severity, r.reject_media, r.reject_reports, False, r.comment, "",
                 r.obfuscate, digest_of(r.domain), "bench", "bench", now, now)
        for r in rows
    ]  # fmt: skip


# --- the hosts ----------------------------------------------------------------------------


def reference(host: str, listed: dict[str, str]) -> str | None:
    """The rule's domain for ``host`` by a plain walk up its labels (the expected answer)."""
    name = host.strip().rstrip(".").lower()
    if name.count(":") == 1:
        name = name.split(":")[0]
    labels = name.split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in listed:
            return suffix
    return None


def unlisted(rng: random.Random, listed: dict[str, str], count: int) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        name = random_domain(rng)
        if reference(name, listed) is None:
            out.append(name)
    return out


def hosts(
    rng: random.Random, listed_pool: Sequence[str], listed: dict[str, str], count: int
) -> list[str]:
    """Incoming hosts: 35% listed domains, 35% subdomains of them (``a.b.listed.tld``), 30%
    hosts under no listed domain; 15% with a port, 10% not in lower case."""
    clean = unlisted(rng, listed, int(count * 0.3) + 1)
    out = []
    for n in range(count):
        kind = rng.random()
        if kind < 0.35:
            host = rng.choice(listed_pool)
        elif kind < 0.70:
            depth = rng.choice((1, 1, 2))
            extra = [rng.choice(HOST_LABELS + PREFIXES) for _ in range(depth)]
            if rng.random() < 0.3:
                extra[0] += str(rng.randint(1, 99))
            host = ".".join([*extra, rng.choice(listed_pool)])
        else:
            host = clean[n % len(clean)]
        if rng.random() < 0.10:
            host = rng.choice((str.upper, str.title, str.capitalize))(host)
        if rng.random() < 0.15:
            host += rng.choice((":443", ":8443", ":3000", ":80"))
        out.append(host)
    return out


# --- measuring ----------------------------------------------------------------------------


def _summary(per_check: list[float], total: float, checks: int) -> dict[str, float]:
    ordered = sorted(per_check)
    return {
        "total_s": round(total, 3),
        "median_us": round(statistics.median(ordered) * 1e6, 3),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))] * 1e6, 3),
        "mean_us": round(total / checks * 1e6, 3),
    }


def _cold_caches() -> None:
    """The host normalization caches (``lru_cache``s) start empty for every run."""
    normalize_domain.cache_clear()
    domain_suffixes.cache_clear()
    gc.collect()


def time_checks(
    effective: EffectiveList, batch_hosts: Sequence[str]
) -> tuple[list[float], float, list[Any]]:
    """Per-check seconds of each batch, the total, and the answers."""
    _cold_caches()
    check, clock = effective.check, time.perf_counter
    samples, answers, total = [], [], 0.0
    for start in range(0, len(batch_hosts), BATCH):
        chunk = batch_hosts[start : start + BATCH]
        t0 = clock()
        found = [check(h) for h in chunk]
        spent = clock() - t0
        total += spent
        samples.append(spent / len(chunk))
        answers.extend(found)
    return samples, total, answers


async def time_live_checks(
    live: LiveBlocklist, batch_hosts: Sequence[str]
) -> tuple[list[float], float, list[Any]]:
    """As ``time_checks``, through ``LiveBlocklist.rule`` as the inbox asks it."""
    _cold_caches()
    rule, clock = live.rule, time.perf_counter
    samples, answers, total = [], [], 0.0
    for start in range(0, len(batch_hosts), BATCH):
        chunk = batch_hosts[start : start + BATCH]
        t0 = clock()
        found = [await rule(h) for h in chunk]
        spent = clock() - t0
        total += spent
        samples.append(spent / len(chunk))
        answers.extend(found)
    return samples, total, answers


def _hit_rate() -> float:
    info = domain_suffixes.cache_info()
    return info.hits / max(1, info.hits + info.misses)


def verify(batch_hosts: Sequence[str], answers: Sequence[Any], listed: dict[str, str]) -> Counter:
    """Every answer against the reference walk; returns how many hosts got which severity."""
    counts: Counter[str] = Counter()
    for host, rule in zip(batch_hosts, answers, strict=True):
        expected = reference(host, listed)
        got = rule.domain if rule is not None else None
        if got != expected or (rule is not None and rule.severity != listed[expected]):
            raise SystemExit(f"check({host!r}) gave {rule!r}, expected {expected!r}")
        counts[rule.severity if rule is not None else "none"] += 1
    return counts


# --- the database part --------------------------------------------------------------------


@dataclass
class Seeded:
    actors: int
    follows: int
    purged: list[str]  # followers on domains the list suspends (the domain or a parent)
    kept: list[str]  # on silenced, noop or unlisted domains with no suspended parent
    # On a silenced or noop domain whose parent the list suspends ("toot.ultra.world"
    # silence under "ultra.world" suspend): the effective rule is the silence.
    shadowed: list[str]

    def as_json(self) -> dict[str, int]:
        return {"actors": self.actors, "follows": self.follows, "to_purge": len(self.purged),
                "to_keep": len(self.kept), "under_lesser_rule": len(self.shadowed)}  # fmt: skip


async def seed(pool: asyncpg.Pool, rng: random.Random, rows: Sequence[Row]) -> Seeded:
    """A group followed by a few hundred remote actors on 160 domains: suspended listed
    domains and subdomains of them, silenced and noop domains, and unlisted ones."""
    await create_actor(pool, kind="Group", username="circle", name="Circle")
    group = f"{BASE_URL}/groups/circle"
    listed = {r.domain: r.severity for r in rows}
    by = {s: [r.domain for r in rows if r.severity == s] for s in ("suspend", "silence", "noop")}
    subdomains = [f"{rng.choice(HOST_LABELS)}.{d}" for d in rng.sample(by["suspend"], 20)]
    picks = (
        rng.sample(by["suspend"], 50)
        + [sub for sub in subdomains if listed.get(reference(sub, listed) or "") == "suspend"]
        + rng.sample(by["silence"], 15)
        + rng.sample(by["noop"], 5)
    )
    picks += unlisted(rng, listed, ACTOR_DOMAINS - len(picks))
    now = datetime.now(UTC)
    actors, keys, follows = [], [], []
    purged, kept, shadowed = [], [], []
    suspended = {r.domain: "suspend" for r in rows if r.severity == "suspend"}
    for n in range(ACTOR_DOMAINS * 5 // 2):
        domain = picks[n % len(picks)]
        uri = f"https://{domain}/users/member{n}"
        actors.append((uri, domain, "Person", f"member{n}", f"{uri}/inbox", "{}", now))
        keys.append((f"{uri}#main-key", uri, "-----BEGIN PUBLIC KEY-----\n...", now))
        state = "pending" if rng.random() < 0.1 else "accepted"
        follows.append((uri, group, f"{uri}#follow-{n}", state))
        rule = reference(domain, listed)
        if rule is not None and listed[rule] == "suspend":
            purged.append(uri)
        else:
            (kept if reference(domain, suspended) is None else shadowed).append(uri)
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "remote_actors", records=actors,
            columns=["uri", "domain", "type", "preferred_username", "inbox", "document",
                     "fetched_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "remote_keys", records=keys,
            columns=["key_id", "owner_uri", "public_key_pem", "fetched_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "follows", records=follows,
            columns=["follower_uri", "followee_uri", "activity_uri", "state"],
        )  # fmt: skip
    return Seeded(len(actors), len(follows), purged, kept, shadowed)


class Phases:
    """Timestamps from inside ``write_blocks``: its progress callback (after each batch of
    upserts) and the enforcer (around the purge), so the end-to-end time splits in parts."""

    def __init__(self) -> None:
        self.batches: list[float] = []
        self.enforce: tuple[float, float] | None = None

    def progress(self, done: int, total: int) -> None:
        self.batches.append(time.perf_counter())

    def enforcer(self) -> Callable[[asyncpg.Connection, list[str]], Awaitable[dict[str, int]]]:
        async def enforce(conn: asyncpg.Connection, cut_off: list[str]) -> dict[str, int]:
            start = time.perf_counter()
            effects = await blocklists.purge_domains(conn, cut_off)  # what the server does
            self.enforce = (start, time.perf_counter())
            return effects

        return enforce


async def database_part(
    dsn: str, rng: random.Random, rows: Sequence[Row], text: str, checks: int
) -> dict[str, Any]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        seeded = await seed(pool, rng, rows)
        phases = Phases()
        started = time.perf_counter()
        report = await service.import_list(
            pool, text, name="bench", apply=True, who="bench", enforce=phases.enforcer(),
            progress=phases.progress,
        )  # fmt: skip
        ended = time.perf_counter()
        wrongly_purged = await check_import(pool, rows, seeded, report)
        enforce_start, enforce_end = phases.enforce or (ended, ended)
        audit_rows = await pool.fetchval("SELECT count(*) FROM audit_log WHERE who = 'bench'")
        imported = {
            "seconds": round(ended - started, 3),
            "rows_per_s": round(len(rows) / (ended - started)),
            # parse (in a thread) + reading the current blocks + the batched upserts
            "parse_and_write_s": round(phases.batches[-1] - started, 3),
            # the suspended entries matched against the domains we hold
            "match_s": round(enforce_start - phases.batches[-1], 3),
            "enforce_s": round(enforce_end - enforce_start, 3),
            # one audit_log INSERT per changed entry, then the commit
            "audit_and_commit_s": round(ended - enforce_end, 3),
            "audit_rows": audit_rows,
            "imported": report.imported,
            "skipped": len(report.problems),
            "newly_suspended_known_domains": len(report.suspended),
            "effects": report.effects,
            "seeded": seeded.as_json(),
            "purged_under_lesser_rule": wrongly_purged,
        }

        live = LiveBlocklist(pool)
        t0 = time.perf_counter()
        effective = await live.current()  # the reload every process does after a change
        reload_s = time.perf_counter() - t0
        if len(effective) != len(rows):
            raise SystemExit(f"the live list holds {len(effective)} entries, not {len(rows)}")
        listed = {r.domain: r.severity for r in rows}
        incoming = hosts(random.Random(rng.random()), [r.domain for r in rows], listed, checks)
        samples, total, answers = await time_live_checks(live, incoming)
        timing = {**_summary(samples, total, checks), "cache_hit_rate": round(_hit_rate(), 3)}
        counts = verify(incoming, answers, listed)
        blocked = counts["suspend"] + counts["silence"]
        if not 0 < blocked < checks:
            raise SystemExit(f"{blocked} of {checks} hosts blocked: the mix is wrong")
        live_result = {
            **timing,
            "reload_s": round(reload_s, 3),
            "checks": checks,
            "matched": checks - counts["none"],
            "blocked": blocked,
            "by_severity": dict(sorted(counts.items())),
        }
        return {"import": imported, "live": live_result}
    finally:
        await pool.close()


async def check_import(
    pool: asyncpg.Pool, rows: Sequence[Row], seeded: Seeded, report: service.ImportReport
) -> int:
    """Checks the import; returns how many followers on a silenced or noop domain under a
    suspended one were purged anyway (their effective rule is not a suspension)."""
    stored = await pool.fetchval("SELECT count(*) FROM domain_blocks")
    if stored != len(rows) or report.imported != len(rows) or report.problems:
        raise SystemExit(
            f"{stored} rows in domain_blocks, {report.imported} imported, "
            f"{len(report.problems)} skipped ({report.problems[:3]}), for {len(rows)} rows"
        )
    left, kept, shadowed = [
        await pool.fetchval(
            "SELECT count(*) FROM follows WHERE follower_uri = ANY($1::text[])", uris
        )
        for uris in (seeded.purged, seeded.kept, seeded.shadowed)
    ]
    ended = len(seeded.purged) + len(seeded.shadowed) - shadowed
    effects = report.effects.get("follows"), report.effects.get("actors")
    if not seeded.purged or left or kept != len(seeded.kept) or effects != (ended, ended):
        raise SystemExit(
            f"after the import: {left} of {len(seeded.purged)} follows from suspended domains "
            f"remain, {kept} of {len(seeded.kept)} others; effects {report.effects}"
        )
    return len(seeded.shadowed) - shadowed


# --- the run ------------------------------------------------------------------------------


@dataclass
class Variant:
    group: str
    key: str
    effective: EffectiveList
    hosts: list[str]
    listed: dict[str, str]
    samples: list[float] = field(default_factory=list)
    total: float = 0.0
    hit_rate: float = 0.0
    matched: int = 0


def size_comparison(rng: random.Random, checks: int, rounds: int) -> dict[str, Any]:
    """The same checks against in-memory lists of 1,000, 20,000 and 100,000 entries (the
    smaller lists are the first entries of the larger ones), and the variants; each run
    ``rounds`` times, interleaved, so that a noisy moment does not land on one of them."""
    names = domains(rng, max(SIZES) + 100)
    rows = list_rows(rng, names)
    names, extra, rows = names[: max(SIZES)], rows[max(SIZES) :], rows[: max(SIZES)]
    biggest = {r.domain: r.severity for r in rows}
    # Listed part from the entries all three lists hold; unlisted part under none of them.
    same = hosts(random.Random(7), names[: min(SIZES)], biggest, checks)
    # The obfuscated entries must not fall on any host checked (they would rightly match).
    seen = {s for h in same for s in domain_suffixes(h)}
    extra = [r for r in extra if r.domain not in seen]
    variants = []
    for size in SIZES:
        listed = {r.domain: r.severity for r in rows[:size]}
        effective = EffectiveList(block_rows(rows[:size]))
        variants.append(Variant("same_hosts", str(size), effective, same, listed))
        # Listed part from 1,000 entries spread over the whole list: the same number of
        # distinct host strings (and so of normalization cache hits) for every size.
        spread = random.Random(size).sample(names[:size], min(SIZES))
        across = hosts(random.Random(7), spread, listed, checks)
        variants.append(Variant("hosts_across_list", str(size), effective, across, listed))
        if size == 20000:
            with_starred = EffectiveList(block_rows(rows[:size]) + starred(extra))
            variants.append(Variant("variants", "obfuscated_100", with_starred, same, listed))
            repeated = random.Random(8).choices(same[:2000], k=checks)
            variants.append(Variant("variants", "repeated_2000_hosts", effective, repeated,
                                    listed))  # fmt: skip
    for n in range(rounds):
        for v in variants[n % len(variants) :] + variants[: n % len(variants)]:
            samples, total, answers = time_checks(v.effective, v.hosts)
            v.samples += samples
            v.total += total
            v.hit_rate = _hit_rate()
            if not v.matched:
                v.matched = checks - verify(v.hosts, answers, v.listed)["none"]
    out: dict[str, Any] = {"same_hosts": {}, "hosts_across_list": {}, "variants": {}}
    for v in variants:
        out[v.group][v.key] = {
            **_summary(v.samples, v.total / rounds, len(v.hosts)),  # total: one pass
            "cache_hit_rate": round(v.hit_rate, 3),
            "matched": v.matched,
        }
    return out


def starred(rows: Sequence[Row]) -> list[BlockRow]:
    """Entries as a public Mastodon list publishes obfuscated ones: starred, with a digest
    (of domains no host here falls under, so the answers stay those of the clear entries)."""
    return [replace(b, domain=obfuscated(b.domain)) for b in block_rows(rows)]


def run(rows_count: int, checks: int, seed_value: int, rounds: int) -> dict[str, Any]:
    started = time.perf_counter()
    rng = random.Random(seed_value)
    rows = list_rows(rng, domains(rng, rows_count))
    text = mastodon_csv(rows)
    commas = sum(1 for r in rows if "," in r.comment)
    t0 = time.perf_counter()
    parsed = parse(text)  # alone, once, for the split of the import time
    parse_s = time.perf_counter() - t0
    if parsed.format != "mastodon-csv" or len(parsed.entries) != rows_count:
        raise SystemExit(f"the list parses as {parsed.format} with {len(parsed.entries)} entries")
    with postgres() as dsn:
        db = asyncio.run(database_part(dsn, rng, rows, text, checks))
    sizes = size_comparison(random.Random(seed_value + 1), checks, rounds)
    labels = Counter(r.domain.count(".") + 1 for r in rows)
    return {
        "benchmark": "blocklist",
        "rows": rows_count,
        "checks": checks,
        "seed": seed_value,
        "rounds": rounds,
        "list": {
            "csv_bytes": len(text.encode()),
            "severities": dict(sorted(Counter(r.severity for r in rows).items())),
            "labels": {str(k): v for k, v in sorted(labels.items())},
            "tlds": len({r.domain.rsplit(".", 1)[1] for r in rows}),
            "comments_with_commas": commas,
            "parse_alone_s": round(parse_s, 3),
        },
        **db,
        "sizes": sizes,
        "seconds": round(time.perf_counter() - started, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def report(result: dict[str, Any]) -> None:
    out = sys.stderr
    imp, live, lst = result["import"], result["live"], result["list"]
    print(f"list: {result['rows']:,} rows, {lst['csv_bytes']:,} bytes of Mastodon CSV, "
          f"{lst['severities']}, labels {lst['labels']}, "
          f"{lst['comments_with_commas']} comments with commas", file=out)  # fmt: skip
    print(f"import (apply): {imp['seconds']:.2f} s, {imp['rows_per_s']:,} rows/s  "
          f"[parse+write {imp['parse_and_write_s']:.2f} s (parse alone "
          f"{lst['parse_alone_s']:.2f} s), match {imp['match_s']:.3f} s, enforce "
          f"{imp['enforce_s']:.3f} s, audit+commit {imp['audit_and_commit_s']:.2f} s "
          f"({imp['audit_rows']:,} audit rows)]", file=out)  # fmt: skip
    print(f"  cut off {imp['newly_suspended_known_domains']} known domains, effects "
          f"{imp['effects']}", file=out)  # fmt: skip
    if imp["purged_under_lesser_rule"]:
        print(f"  NOTE: {imp['purged_under_lesser_rule']} of {imp['seeded']['under_lesser_rule']} "
              "followers on silenced/noop domains under a suspended parent were purged, though "
              "the effective list gives them the silence/noop", file=out)  # fmt: skip
    print(f"live checks: {live['checks']:,} in {live['total_s']:.3f} s, per check median "
          f"{live['median_us']:.2f} µs, p95 {live['p95_us']:.2f} µs, mean {live['mean_us']:.2f} "
          f"µs; {live['blocked']:,} blocked ({live['by_severity']}); list reload "
          f"{live['reload_s'] * 1e3:.0f} ms", file=out)  # fmt: skip
    titles = {"same_hosts": "the same hosts", "hosts_across_list": "hosts across each list"}
    for kind, title in titles.items():
        print(f"EffectiveList.check, {title}:", file=out)
        for size, s in result["sizes"][kind].items():
            print(f"  {int(size):>7,} entries: median {s['median_us']:.2f} µs, p95 "
                  f"{s['p95_us']:.2f} µs, mean {s['mean_us']:.2f} µs, {s['matched']:,} "
                  f"matched (cache hits {s['cache_hit_rate']:.0%})", file=out)  # fmt: skip
    for key, title in (
        ("obfuscated_100", "20,000 entries + 100 obfuscated"),
        ("repeated_2000_hosts", "20,000 entries, 2,000 distinct hosts"),
    ):
        s = result["sizes"]["variants"][key]
        print(
            f"  {title}: median {s['median_us']:.2f} µs, p95 {s['p95_us']:.2f} µs, mean "
            f"{s['mean_us']:.2f} µs (cache hits {s['cache_hit_rate']:.0%})",
            file=out,
        )
    print(f"total {result['seconds']} s", file=out, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rows", type=int, default=20000, help="rows in the imported list")
    parser.add_argument("--checks", type=int, default=100000, help="incoming hosts checked")
    parser.add_argument("--seed", type=int, default=1, help="for the list and the hosts")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved runs of each in-memory comparison")  # fmt: skip
    args = parser.parse_args()
    if args.rows < 500 or args.checks < BATCH or args.rounds < 1:
        parser.error(f"--rows must be at least 500, --checks at least {BATCH}, --rounds 1")
    result = run(args.rows, args.checks, args.seed, args.rounds)
    report(result)
    emit(result)


if __name__ == "__main__":
    main()
