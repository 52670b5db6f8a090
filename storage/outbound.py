"""Queries for the delivery engine: outgoing activities stored once, and per-host cursors.

A host is leased by one worker at a time (``FOR UPDATE SKIP LOCKED``, then a lease with an
owner); every later write about the host is fenced by that owner, so a worker whose lease
ran out cannot move a cursor another worker now owns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

Executor = asyncpg.Connection | asyncpg.Pool
DELIVERY_CHANNEL = "peerhaven_delivery"


@dataclass(frozen=True)
class HostState:
    host: str
    cursor_seq: int
    cursor_done: int
    done_ahead: tuple[str, ...]
    last_seq: int
    failures: int
    failing_since: datetime | None
    unreachable_since: datetime | None


@dataclass(frozen=True)
class PendingActivity:
    seq: int
    sender_uri: str
    body: str
    inboxes: tuple[str, ...]


async def enqueue(
    db: Executor,
    *,
    activity_id: str,
    sender_uri: str,
    body: str,
    recipients: dict[str, list[str]],
) -> int | None:
    """Store an activity and wake its hosts; ``None`` if that activity id was stored before.
    Call inside the transaction of the state change that caused it (a pool, or a connection
    outside a transaction, gets a transaction of its own)."""
    if not recipients:
        return None
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            return await _enqueue(conn, activity_id, sender_uri, body, recipients)
    if not db.is_in_transaction():
        async with db.transaction():
            return await _enqueue(db, activity_id, sender_uri, body, recipients)
    return await _enqueue(db, activity_id, sender_uri, body, recipients)


async def _enqueue(
    conn: asyncpg.Connection,
    activity_id: str,
    sender_uri: str,
    body: str,
    recipients: dict[str, list[str]],
) -> int | None:
    hosts = sorted(recipients)
    # Lock the hosts' rows BEFORE taking a sequence number: two activities for one host then
    # get their numbers in commit order. Otherwise a later number could commit first, an
    # engine could move the host's cursor past it, and the earlier one would never be sent.
    # (Sorted, so concurrent enqueues lock in one order.)
    await conn.execute(
        """
        INSERT INTO delivery_hosts (host) SELECT h FROM unnest($1::text[]) AS h ORDER BY h
        ON CONFLICT (host) DO UPDATE SET last_seq = delivery_hosts.last_seq
        """,
        hosts,
    )
    seq = await conn.fetchval(
        "INSERT INTO outbound_activities (activity_id, sender_uri, body, recipients) "
        "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (activity_id) DO NOTHING RETURNING seq",
        activity_id, sender_uri, body, json.dumps(recipients),
    )  # fmt: skip
    if seq is None:
        return None
    await conn.execute(
        "UPDATE delivery_hosts SET last_seq = GREATEST(last_seq, $2) WHERE host = ANY($1)",
        hosts,
        seq,
    )
    # Wakes delivery engines in every process at commit (LISTEN in DeliveryEngine).
    await conn.execute("SELECT pg_notify($1, '')", DELIVERY_CHANNEL)
    return int(seq)


async def lease_hosts(
    pool: asyncpg.Pool,
    owner: str,
    *,
    limit: int,
    lease: timedelta,
    busy: list[str] | tuple[str, ...] = (),
) -> list[HostState]:
    """Lease ready hosts; ``busy`` are hosts the caller is still sending to (its own lease may
    have lapsed meanwhile: it must not start a second sender for them)."""
    rows = await pool.fetch(
        """
        UPDATE delivery_hosts SET lease_owner = $1, leased_until = now() + $3::interval
        WHERE host IN (
            SELECT host FROM delivery_hosts
            WHERE last_seq > cursor_seq AND next_attempt_at <= now()
              AND (leased_until IS NULL OR leased_until < now())
              AND host <> ALL($4::text[])
            ORDER BY next_attempt_at
            FOR UPDATE SKIP LOCKED
            LIMIT $2
        )
        RETURNING host, cursor_seq, cursor_done, done_ahead, last_seq, failures,
                  failing_since, unreachable_since
        """,
        owner,
        limit,
        lease,
        list(busy),
    )
    return [HostState(**{**dict(r), "done_ahead": tuple(r["done_ahead"])}) for r in rows]


async def pending_for_host(
    db: Executor, host: str, after_seq: int, limit: int
) -> list[PendingActivity]:
    rows = await db.fetch(
        """
        SELECT seq, sender_uri, body, recipients -> $1 AS inboxes FROM outbound_activities
        WHERE seq > $2 AND recipients ? $1 ORDER BY seq LIMIT $3
        """,
        host,
        after_seq,
        limit,
    )
    return [
        PendingActivity(r["seq"], r["sender_uri"], r["body"], tuple(json.loads(r["inboxes"])))
        for r in rows
    ]


async def pending_for_hosts(
    db: Executor, cursors: dict[str, int], limit: int
) -> tuple[dict[str, list[PendingActivity]], bool]:
    """The next activities of many hosts in one query (a fan-out is one row for all its
    hosts). Returns them per host, and whether that is everything (no row limit hit)."""
    if not cursors:
        return {}, True
    rows = await db.fetch(
        """
        SELECT seq, sender_uri, body, recipients FROM outbound_activities
        WHERE seq > $1 AND recipients ?| $2::text[] ORDER BY seq LIMIT $3
        """,
        min(cursors.values()),
        list(cursors),
        limit,
    )
    pending: dict[str, list[PendingActivity]] = {host: [] for host in cursors}
    for row in rows:
        recipients = json.loads(row["recipients"])
        for host, inboxes in recipients.items():
            if host in cursors and row["seq"] > cursors[host]:
                pending[host].append(
                    PendingActivity(row["seq"], row["sender_uri"], row["body"], tuple(inboxes))
                )
    return pending, len(rows) < limit


@dataclass(frozen=True)
class Progress:
    """What one flush records for one leased host; ``release`` gives the lease up."""

    host: str
    cursor_seq: int
    cursor_done: int
    done_ahead: list[str]
    delivered: int
    failed: int
    release: bool = False


async def save_progress(pool: asyncpg.Pool, owner: str, items: list[Progress]) -> None:
    """Move the cursors of several hosts in one statement (fenced by the lease owner)."""
    if not items:
        return
    items = sorted(items, key=lambda i: i.host)  # one lock order with enqueue
    await pool.execute(
        """
        UPDATE delivery_hosts AS h SET
            cursor_seq = p.cursor_seq, cursor_done = p.cursor_done,
            done_ahead = string_to_array(p.done_ahead, ',', ''),
            delivered = h.delivered + p.delivered, failed = h.failed + p.failed,
            last_success_at = CASE WHEN p.delivered > 0 THEN now() ELSE h.last_success_at END,
            failures = CASE WHEN p.delivered > 0 THEN 0 ELSE h.failures END,
            failing_since = CASE WHEN p.delivered > 0 THEN NULL ELSE h.failing_since END,
            unreachable_since = CASE WHEN p.delivered > 0 THEN NULL ELSE h.unreachable_since END,
            lease_owner = CASE WHEN p.release THEN NULL ELSE h.lease_owner END,
            leased_until = CASE WHEN p.release THEN NULL ELSE h.leased_until END
        FROM unnest($2::text[], $3::bigint[], $4::int[], $5::text[], $6::int[], $7::int[],
                    $8::bool[])
            AS p(host, cursor_seq, cursor_done, done_ahead, delivered, failed, release)
        WHERE h.host = p.host AND h.lease_owner = $1
        """,
        owner,
        [i.host for i in items],
        [i.cursor_seq for i in items],
        [i.cursor_done for i in items],
        [",".join(i.done_ahead) for i in items],
        [i.delivered for i in items],
        [i.failed for i in items],
        [i.release for i in items],
    )


async def renew_leases(pool: asyncpg.Pool, owner: str, hosts: list[str], lease: timedelta) -> None:
    if hosts:
        await pool.execute(
            "UPDATE delivery_hosts SET leased_until = now() + $3::interval "
            "WHERE host = ANY($2::text[]) AND lease_owner = $1",
            owner, hosts, lease,
        )  # fmt: skip


async def release(pool: asyncpg.Pool, owner: str, host: str) -> None:
    await pool.execute(
        "UPDATE delivery_hosts SET lease_owner = NULL, leased_until = NULL "
        "WHERE host = $2 AND lease_owner = $1",
        owner,
        host,
    )


async def record_failure(
    pool: asyncpg.Pool,
    owner: str,
    host: str,
    *,
    error: str,
    retry_in: timedelta,
    unreachable_after: timedelta,
    recheck: timedelta,
) -> bool:
    """A retryable failure: back off. A host failing for longer than ``unreachable_after``
    is marked unreachable, its backlog dropped and counted, and checked again after
    ``recheck``. One transaction, fenced by the lease owner. Returns whether the host is now
    unreachable."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """
            UPDATE delivery_hosts SET
                failures = failures + 1,
                retries = retries + 1,
                failing_since = COALESCE(failing_since, now()),
                last_error = $3,
                next_attempt_at = now() + $4::interval,
                lease_owner = NULL, leased_until = NULL
            WHERE host = $2 AND lease_owner = $1
            RETURNING failing_since <= now() - $5::interval AS overdue
            """,
            owner, host, error[:500], retry_in, unreachable_after,
        )  # fmt: skip
        if row is None or not row["overdue"]:
            return False
        # The row stays locked by the UPDATE above until commit, so the count and the new
        # cursor agree with each other (an enqueue for this host waits for us).
        await conn.execute(
            f"""
            UPDATE delivery_hosts SET
                unreachable_since = COALESCE(unreachable_since, now()), {_DROP_BACKLOG},
                next_attempt_at = now() + $2::interval
            WHERE host = $1
            """,
            host,
            recheck,
        )
    return True


# Skip a host's backlog, counting what is dropped: the cursor moves to its last activity.
_DROP_BACKLOG = """
    dropped = dropped + (
        SELECT count(*) FROM outbound_activities
        WHERE seq > delivery_hosts.cursor_seq AND recipients ? delivery_hosts.host),
    cursor_seq = last_seq, cursor_done = 0, done_ahead = '{}'
"""


async def drop_backlog_of_domains(db: Executor, domains: list[str]) -> int:
    """Drop (and count) what is queued for these domains' hosts, whatever their port: the
    domains were suspended. Returns how many hosts had something queued."""
    rows = await db.fetch(
        f"UPDATE delivery_hosts SET {_DROP_BACKLOG} "
        "WHERE split_part(host, ':', 1) = ANY($1::text[]) AND cursor_seq < last_seq "
        "RETURNING host",
        domains,
    )
    return len(rows)


@dataclass(frozen=True)
class HostReport:
    host: str
    backlog: int
    delivered: int
    failed: int
    retries: int
    failures: int
    dropped: int
    unreachable: bool
    next_attempt_at: datetime
    last_error: str | None


async def host_reports(db: Executor) -> list[HostReport]:
    rows = await db.fetch(
        """
        SELECT host, delivered, failed, retries, failures, dropped,
               unreachable_since IS NOT NULL AS unreachable, next_attempt_at, last_error,
               (SELECT count(*) FROM outbound_activities o
                 WHERE o.seq > h.cursor_seq AND o.recipients ? h.host) AS backlog
        FROM delivery_hosts h ORDER BY backlog DESC, host
        """
    )
    return [HostReport(**dict(r)) for r in rows]


async def queue_depth(db: Executor) -> int:
    """Hosts with something left to send."""
    return int(await db.fetchval("SELECT count(*) FROM delivery_hosts WHERE last_seq > cursor_seq"))


async def lag_gauges(db: Executor) -> dict[str, float]:
    row = await db.fetchrow(
        """
        SELECT
          (SELECT count(*) FROM delivery_hosts WHERE last_seq > cursor_seq) AS hosts_with_backlog,
          (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(o.created_at)), 0)
             FROM delivery_hosts h JOIN outbound_activities o
               ON o.seq = (SELECT min(seq) FROM outbound_activities
                           WHERE seq > h.cursor_seq AND recipients ? h.host)
            WHERE h.last_seq > h.cursor_seq AND h.unreachable_since IS NULL)
            AS delivery_lag_seconds,
          (SELECT count(*) FROM inbox_activities WHERE state = 'queued') AS inbox_queued,
          (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)), 0)
             FROM inbox_activities WHERE state = 'queued') AS inbox_lag_seconds
        """
    )
    return {k: float(v) for k, v in dict(row).items()}
