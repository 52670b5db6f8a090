"""The delivery engine against loopback sink hosts with faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bench.sink import SinkFleet, SinkHost
from federation.delivery.engine import DeliveryEngine
from federation.delivery.settings import DeliverySettings
from federation.local import create_actor
from storage.actors import LocalActor
from tests.conftest import LiveServer
from tests.delivery_rig import add_followers, post_as

FAST_RETRY = DeliverySettings(first_retry=timedelta(0), max_retry=timedelta(0))


@pytest.fixture
async def group(live_server: LiveServer) -> LocalActor:
    return await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")


@pytest.fixture
async def fleet() -> AsyncIterator[SinkFleet]:
    sinks = SinkFleet()
    yield sinks
    await sinks.close()


def group_uri(live_server: LiveServer) -> str:
    return f"{live_server.base_url}/groups/circle"


async def run_until_idle(engine: DeliveryEngine, rounds: int = 20) -> int:
    total = 0
    for _ in range(rounds):
        sent = await engine.run_once()
        total += sent
        if sent == 0:
            return total
    raise AssertionError(f"the engine still had work after {rounds} rounds")


async def test_failing_host_gets_everything_once_and_in_order(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    flaky, healthy = SinkHost("127.0.1.1", fail_first=5), SinkHost("127.0.1.2")
    await fleet.start([flaky, healthy])
    for host in (flaky, healthy):
        await add_followers(live_server.pool, group_uri(live_server), host, 3, shared_inbox=True)
    ids = [await post_as(live_server.federation, group, f"post {i}") for i in range(3)]
    engine = DeliveryEngine(live_server.federation, FAST_RETRY)

    await engine.run_once()
    # Not held up by the other. (A healthy host has up to 4 requests in flight, so arrival
    # order may differ from sending order; a recovering host gets one at a time.)
    assert sorted(fleet.received(healthy, accepted_only=True)) == sorted(ids)
    await run_until_idle(engine)
    assert fleet.received(flaky, accepted_only=True) == ids
    assert len(fleet.received(flaky)) == 5 + 3  # five refused requests, then each post once
    assert fleet.duplicates() == {}
    row = await live_server.pool.fetchrow(
        "SELECT failures, delivered, failed FROM delivery_hosts WHERE host = $1", flaky.key
    )
    assert (row["failures"], row["delivered"], row["failed"]) == (0, 3, 0)


async def test_slow_host_does_not_delay_others(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    slow, fast = SinkHost("127.0.1.1", delay=0.3), SinkHost("127.0.1.2")
    await fleet.start([slow, fast])
    for host in (slow, fast):
        await add_followers(live_server.pool, group_uri(live_server), host, 1, shared_inbox=True)
    ids = [await post_as(live_server.federation, group, f"post {i}") for i in range(3)]
    await DeliveryEngine(live_server.federation).run_once()
    assert sorted(fleet.received(fast, accepted_only=True)) == sorted(ids)
    assert sorted(fleet.received(slow, accepted_only=True)) == sorted(ids)
    fast_done = max(r.answered_at for r in fleet.records if r.host == fast.key)
    slow_first = min(r.answered_at for r in fleet.records if r.host == slow.key)
    assert fast_done < slow_first


async def test_410_from_a_personal_inbox_removes_that_follower(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    host = SinkHost("127.0.1.1")
    await fleet.start([host])
    inboxes = await add_followers(
        live_server.pool, group_uri(live_server), host, 3, shared_inbox=False
    )
    host.gone_paths = frozenset({inboxes[1].split(host.key, 1)[1]})
    await post_as(live_server.federation, group, "hello")
    await run_until_idle(DeliveryEngine(live_server.federation))
    followers = await live_server.pool.fetch("SELECT follower_uri FROM follows ORDER BY 1")
    assert [r["follower_uri"] for r in followers] == [
        inboxes[0].removesuffix("/inbox"),
        inboxes[2].removesuffix("/inbox"),
    ]
    # Not retried: the 410 is final, and the other two inboxes got the post.
    assert len(fleet.records) == 3
    row = await live_server.pool.fetchrow("SELECT delivered, failed FROM delivery_hosts")
    assert (row["delivered"], row["failed"]) == (2, 1)


async def test_retry_after_is_honoured(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    host = SinkHost("127.0.1.1", fail_first=1, fail_status=429, retry_after="3600")
    await fleet.start([host])
    await add_followers(live_server.pool, group_uri(live_server), host, 1, shared_inbox=True)
    await post_as(live_server.federation, group, "hello")
    await DeliveryEngine(live_server.federation).run_once()
    wait = await live_server.pool.fetchval(
        "SELECT next_attempt_at - now() FROM delivery_hosts WHERE host = $1", host.key
    )
    assert timedelta(minutes=59) < wait <= timedelta(hours=1)


async def test_host_down_for_too_long_is_unreachable_until_it_answers(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    dead = SinkHost("127.0.1.1", down=True)
    await fleet.start([dead])
    await add_followers(live_server.pool, group_uri(live_server), dead, 1, shared_inbox=True)
    settings = DeliverySettings(
        first_retry=timedelta(0), unreachable_after=timedelta(0),
        unreachable_recheck=timedelta(days=1),
    )  # fmt: skip
    engine = DeliveryEngine(live_server.federation, settings)
    for i in range(2):
        await post_as(live_server.federation, group, f"lost {i}")
    await engine.run_once()
    row = await live_server.pool.fetchrow("SELECT * FROM delivery_hosts")
    assert row["unreachable_since"] is not None
    assert row["dropped"] == 2 and row["cursor_seq"] == row["last_seq"]

    # Back up, but not checked again until the recheck time: new posts wait.
    await fleet.set_down(dead, False)
    later = await post_as(live_server.federation, group, "after the outage")
    assert await engine.run_once() == 0
    await live_server.pool.execute("UPDATE delivery_hosts SET next_attempt_at = now()")  # a day on
    await engine.run_once()
    assert fleet.received(dead, accepted_only=True) == [later]
    row = await live_server.pool.fetchrow("SELECT * FROM delivery_hosts")
    assert row["unreachable_since"] is None and row["failures"] == 0


async def test_two_engines_share_a_fanout_without_sending_twice(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    hosts = [SinkHost(f"127.0.1.{i}", delay=0.01) for i in range(1, 21)]
    await fleet.start(hosts)
    for host in hosts:
        await add_followers(live_server.pool, group_uri(live_server), host, 2, shared_inbox=False)
    ids = [await post_as(live_server.federation, group, f"post {i}") for i in range(3)]
    few = DeliverySettings(max_hosts=4)  # each takes a few hosts at a time
    one = DeliveryEngine(live_server.federation, few, owner="one")
    two = DeliveryEngine(live_server.federation, few, owner="two")
    first = await asyncio.gather(one.run_once(), two.run_once())
    rest = await asyncio.gather(run_until_idle(one), run_until_idle(two))
    sent_by_one, sent_by_two = first[0] + rest[0], first[1] + rest[1]
    assert fleet.duplicates() == {}
    for host in hosts:
        assert sorted(fleet.received(host, accepted_only=True)) == sorted(ids * 2)
    assert sent_by_one > 0 and sent_by_two > 0
    assert sent_by_one + sent_by_two == 3 * 2 * 20


async def test_rows_written_do_not_grow_with_followers(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    hosts = [SinkHost(f"127.0.1.{i}") for i in range(1, 4)]
    await fleet.start(hosts)
    for host in hosts:
        await add_followers(live_server.pool, group_uri(live_server), host, 25, shared_inbox=False)
    await post_as(live_server.federation, group, "one post")
    assert await live_server.pool.fetchval("SELECT count(*) FROM outbound_activities") == 1
    assert await live_server.pool.fetchval("SELECT count(*) FROM delivery_hosts") == 3
    await run_until_idle(DeliveryEngine(live_server.federation))
    assert len(fleet.records) == 75


async def test_a_host_not_in_the_shared_read_reads_its_own_backlog(
    live_server: LiveServer, group: LocalActor, fleet: SinkFleet
) -> None:
    behind, fresh = SinkHost("127.0.1.1", down=True), SinkHost("127.0.1.2")
    await fleet.start([behind, fresh])
    await add_followers(live_server.pool, group_uri(live_server), behind, 1, shared_inbox=True)
    for i in range(6):  # a backlog on the host that is down
        await post_as(live_server.federation, group, f"old {i}")
    await add_followers(live_server.pool, group_uri(live_server), fresh, 1, shared_inbox=True)
    new = await post_as(live_server.federation, group, "new")
    # Reading 4 activities for all leased hosts at once returns only the old ones.
    engine = DeliveryEngine(live_server.federation, DeliverySettings(page=1))
    await engine.run_once()
    assert fleet.received(fresh, accepted_only=True) == [new]
