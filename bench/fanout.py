"""Fan-out benchmark: one group post to many followers on many hosts.

    python -m bench.fanout [--quick]

10,000 followers on 1,000 loopback sink hosts (``--quick``: 1,000 on 100); on half of the
hosts the followers share an inbox, on the other half each has only a personal inbox, so
about 5,500 requests. A ``peerhaven serve`` process delivers; the time runs from the post's
commit to the last request a sink receives. The raw RSA-2048 sign rate on all cores is
measured in the same run. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.common import (
    cpu_seconds,
    emit,
    free_port,
    peak_rss_mb,
    postgres,
    profiler,
    rsa_rate,
    server,
    workers,
)
from bench.sink import SinkProcess
from federation import outbox
from federation.context import FederationContext
from federation.fetch import Fetcher, FetchPolicy
from federation.local import create_actor
from federation.urls import LocalUrls
from moderation.gate import Moderation
from moderation.policies.store import PolicyFile
from storage import actors

# No policy file: a worker process that only delivers screens nothing.
NO_POLICIES = Path("/nonexistent/peerhaven/policies.toml")


async def seed(dsn: str, base_url: str, hosts: list[str], per_host: int) -> None:
    """The group and its followers: half the hosts with a shared inbox, half without."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        await create_actor(pool, kind="Group", username="circle", name="Circle")
        group = f"{base_url}/groups/circle"
        now = datetime.now(UTC)
        remote, follows = [], []
        for n, host in enumerate(hosts):
            shared = f"http://{host}/inbox" if n % 2 == 0 else None
            for i in range(per_host):
                uri = f"http://{host}/users/u{i}"
                remote.append((uri, host.split(":")[0], "Person", f"u{i}", None,
                               f"{uri}/inbox", shared, None, None, None, '{}', now))  # fmt: skip
                follows.append((uri, group, f"{uri}#follow", "accepted"))
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "remote_actors", records=remote,
                columns=["uri", "domain", "type", "preferred_username", "name", "inbox",
                         "shared_inbox", "followers_url", "url", "moved_to", "document",
                         "fetched_at"],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "follows", records=follows,
                columns=["follower_uri", "followee_uri", "activity_uri", "state"],
            )  # fmt: skip
    finally:
        await pool.close()


async def rows(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT (SELECT count(*) FROM outbound_activities) "
                "+ (SELECT count(*) FROM delivery_hosts)"
            )
        )
    finally:
        await conn.close()


async def post(dsn: str, base_url: str) -> float:
    """Queue one group post to all followers, as the relay will; return its commit time."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    fetcher = Fetcher(FetchPolicy())
    try:
        ctx = FederationContext(
            pool, LocalUrls(base_url), fetcher, Moderation(pool, PolicyFile(NO_POLICIES))
        )
        group = await actors.local_actor_by_username(pool, "circle")
        assert group is not None
        note = {
            "id": f"{base_url}/groups/circle/posts/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": f"{base_url}/groups/circle",
            "content": "<p>" + "A message for everyone in the circle. " * 20 + "</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }
        activity = outbox.new_activity(ctx, group, "Create", note)
        async with pool.acquire() as conn, conn.transaction():
            await outbox.send(ctx, conn, group, activity, [], to_followers=True)
        return time.time()
    finally:
        await fetcher.close()
        await pool.close()


def run(quick: bool, extra_workers: int = 0, profile: str | None = None) -> dict[str, object]:
    host_count, per_host = (100, 10) if quick else (1000, 10)
    expected = (host_count + 1) // 2 + (host_count // 2) * per_host
    sign_rate = rsa_rate("sign", processes=os.cpu_count() or 1)
    with postgres() as dsn, SinkProcess(hosts=host_count, port=free_port()) as sinks:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        asyncio.run(seed(dsn, base_url, sinks.host_keys, per_host))
        with (
            server(dsn, port) as proc,
            workers(dsn, port, extra_workers) as helpers,
            profiler(proc.pid, profile),
        ):
            before = asyncio.run(rows(dsn))
            sink_cpu = sinks.stats()["cpu_seconds"]
            server_cpu = sum(cpu_seconds(p.pid) for p in [proc, *helpers])
            committed = asyncio.run(post(dsn, base_url))
            written = asyncio.run(rows(dsn)) - before
            deadline = time.monotonic() + (120 if quick else 600)
            stats = sinks.stats()
            while stats["distinct"] < expected and time.monotonic() < deadline:
                time.sleep(0.05)
                stats = sinks.stats()
            rss = peak_rss_mb(proc.pid)
            server_cpu = sum(cpu_seconds(p.pid) for p in [proc, *helpers]) - server_cpu
            sink_cpu = stats["cpu_seconds"] - sink_cpu
    seconds = stats["last"] - committed
    delivered = stats["distinct"]
    rate = delivered / seconds if seconds > 0 else 0.0
    return {
        "benchmark": "fanout",
        "quick": quick,
        "hosts": host_count,
        "followers": host_count * per_host,
        "expected": expected,
        "deliveries": delivered,
        "duplicates": stats["duplicates"],
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(rate, 1),
        "rsa_sign_per_s": round(sign_rate, 1),
        "ratio": round(rate / sign_rate, 3),
        "rows_written": written,
        "peak_rss_mb": round(rss, 1),
        # Where the two cores went during the fan-out (the sinks share the machine).
        "server_cpu_s": round(server_cpu, 2),
        "sink_cpu_s": round(sink_cpu, 2),
        "cpus": os.cpu_count(),
        "server_processes": int(os.environ.get("PEERHAVEN_PROCESSES", "1")),
        "worker_processes": extra_workers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="100 hosts; under a minute")
    parser.add_argument(
        "--workers", type=int, default=0, help="extra `peerhaven worker` processes sharing it"
    )
    parser.add_argument("--profile", metavar="FILE", help="py-spy samples of the server")
    args = parser.parse_args()
    emit(run(args.quick, args.workers, args.profile))


if __name__ == "__main__":
    main()
