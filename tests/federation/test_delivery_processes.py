"""The delivery engine across real server processes: SIGKILL mid fan-out, and two servers
sharing one fan-out. Sink hosts run in this test's event loop; the servers deliver."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from bench.sink import SinkFleet, SinkHost
from federation.context import FederationContext
from federation.fetch import Fetcher, FetchPolicy
from federation.local import create_actor
from federation.urls import LocalUrls
from moderation.gate import Moderation
from moderation.policies.store import PolicyFile
from storage.actors import LocalActor
from tests.delivery_rig import add_followers, post_as
from tests.processes import clean_env, free_port, start_server, stop_server, wait_healthy

HOSTS, FOLLOWERS, POSTS = 20, 8, 3

# No policy file: a worker process that only delivers screens nothing.
NO_POLICIES = Path("/nonexistent/peerhaven/policies.toml")


@dataclass
class Rig:
    pool: asyncpg.Pool
    ctx: FederationContext
    group: LocalActor
    fleet: SinkFleet
    hosts: list[SinkHost]
    port: int
    env: dict[str, str]


@pytest.fixture
async def rig(database_url: str) -> AsyncIterator[Rig]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    fetcher = Fetcher(FetchPolicy())
    ctx = FederationContext(
        pool, LocalUrls(base_url), fetcher, Moderation(pool, PolicyFile(NO_POLICIES))
    )
    group = await create_actor(pool, kind="Group", username="circle", name="Circle")
    hosts = [SinkHost(f"127.0.2.{i}", delay=0.03) for i in range(1, HOSTS + 1)]
    fleet = SinkFleet()
    await fleet.start(hosts)
    for host in hosts:
        await add_followers(pool, f"{base_url}/groups/circle", host, FOLLOWERS, shared_inbox=False)
    env = clean_env(
        DATABASE_URL=database_url,
        PEERHAVEN_BASE_URL=base_url,
        PEERHAVEN_ALLOW_PRIVATE_ADDRESSES="true",
        PEERHAVEN_LOG_LEVEL="warning",
        # A killed server's hosts are free again after this (production: 30 s).
        PEERHAVEN_DELIVERY_LEASE_SECONDS="2",
    )
    try:
        yield Rig(pool, ctx, group, fleet, hosts, port, env)
    finally:
        await fleet.close()
        await fetcher.close()
        await pool.close()


async def owed(pool: asyncpg.Pool) -> set[tuple[str, str, str]]:
    """(host, inbox path, activity id) for every recipient of every stored activity."""
    rows = await pool.fetch("SELECT seq, activity_id, recipients FROM outbound_activities")
    return {
        (host, inbox.split(host, 1)[1], row["activity_id"])
        for row in rows
        for host, inboxes in json.loads(row["recipients"]).items()
        for inbox in inboxes
    }


async def covered_by_cursors(pool: asyncpg.Pool) -> set[tuple[str, str, str]]:
    """What the saved cursors say was answered (behind the cursor, or in done_ahead)."""
    activities = {
        r["seq"]: (r["activity_id"], json.loads(r["recipients"]))
        for r in await pool.fetch("SELECT seq, activity_id, recipients FROM outbound_activities")
    }
    covered = set()
    for h in await pool.fetch("SELECT * FROM delivery_hosts"):
        host = h["host"]
        ahead = {tuple(map(int, p.split(":"))) for p in h["done_ahead"]}
        first_after = min(
            (s for s, (_, r) in activities.items() if s > h["cursor_seq"] and host in r),
            default=None,
        )
        for seq, (activity_id, recipients) in activities.items():
            for index, inbox in enumerate(recipients.get(host, [])):
                done = (
                    seq <= h["cursor_seq"]
                    or (seq == first_after and index < h["cursor_done"])
                    or (seq, index) in ahead
                )
                if done:
                    covered.add((host, inbox.split(host, 1)[1], activity_id))
    return covered


def accepted(fleet: SinkFleet) -> set[tuple[str, str, str]]:
    return {
        (r.host, r.path, r.activity_id)
        for r in fleet.records
        if r.status is not None and r.status < 300 and r.activity_id
    }


async def wait_until(predicate: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_sigkill_mid_fanout_loses_nothing_and_repeats_only_what_was_in_flight(
    rig: Rig, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "a", rig.port, rig.env)
    await asyncio.to_thread(wait_healthy, server, rig.port)
    for i in range(POSTS):
        await post_as(rig.ctx, rig.group, f"post {i}")
    total = HOSTS * FOLLOWERS * POSTS
    await wait_until(lambda: len(rig.fleet.records) >= total // 3)
    server.send_signal(signal.SIGKILL)
    await asyncio.to_thread(server.wait, 10)
    open_at_kill = len(rig.fleet.open_requests())

    received_before = {(r.host, r.path, r.activity_id) for r in rig.fleet.records}
    in_flight = received_before - await covered_by_cursors(rig.pool)
    assert 0 < len(received_before) < total, "the kill must land mid fan-out"

    server = start_server(tmp_path / "b", rig.port, rig.env)
    try:
        await asyncio.to_thread(wait_healthy, server, rig.port)
        expected = await owed(rig.pool)
        assert len(expected) == total
        await wait_until(lambda: accepted(rig.fleet) >= expected)
    finally:
        await asyncio.to_thread(stop_server, server, signal.SIGTERM, tmp_path / "b")
    duplicates = set(rig.fleet.duplicates())
    print(
        f"\nkill: {len(received_before)} of {total} received, {len(in_flight)} sent but not saved"
        f" ({open_at_kill} unanswered), {len(duplicates)} sent twice"
    )
    assert accepted(rig.fleet) == expected  # every host received every activity
    # Only what was sent but not yet saved as answered at the kill can come twice.
    assert duplicates <= in_flight, (len(duplicates), len(in_flight), open_at_kill)
    assert all(n == 2 for n in rig.fleet.duplicates().values())


async def test_two_server_processes_share_a_fanout(rig: Rig, tmp_path: Path) -> None:
    second_port = free_port()
    # A small cap per process, so each leases a few hosts at a time and both take part.
    env = {**rig.env, "PEERHAVEN_DELIVERY_GLOBAL": "4"}
    servers = [
        start_server(tmp_path / "a", rig.port, env),
        start_server(tmp_path / "b", second_port, env),
    ]
    try:
        for server, port in zip(servers, (rig.port, second_port), strict=True):
            await asyncio.to_thread(wait_healthy, server, port)
        for i in range(POSTS):
            await post_as(rig.ctx, rig.group, f"post {i}")
        expected = await owed(rig.pool)
        await wait_until(lambda: accepted(rig.fleet) >= expected)
        sent = [await _sent_metric(port) for port in (rig.port, second_port)]
    finally:
        for server, name in zip(servers, ("a", "b"), strict=True):
            await asyncio.to_thread(stop_server, server, signal.SIGTERM, tmp_path / name)
    assert rig.fleet.duplicates() == {}
    assert len(rig.fleet.records) == len(expected) == HOSTS * FOLLOWERS * POSTS
    assert sum(sent) == len(expected) and min(sent) > 0, sent


async def _sent_metric(port: int) -> int:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    line = next(x for x in text.splitlines() if x.startswith("peerhaven_deliveries_sent_total "))
    return int(float(line.split()[1]))
