"""The inbox worker on real stored activities: failures are retried, never lost, and a job
handled after a crash has its effects applied exactly once."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from federation.inbox import worker as inbox_worker
from federation.local import create_actor
from storage import queue
from tests.conftest import LiveServer
from tests.peer import Peer


@pytest.fixture
async def follow_stored(live_server: LiveServer, peer: Peer) -> dict[str, Any]:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    alice = peer.actors["alice"]
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(alice, "Follow"),
        "type": "Follow",
        "actor": alice.actor_id,
        "object": f"{live_server.base_url}/groups/circle",
    }
    status, _ = await peer.post(f"{live_server.base_url}/inbox", follow, actor=alice)
    assert status == 202
    return follow


async def test_a_failing_handler_leaves_the_job_queued_for_later(
    live_server: LiveServer, follow_stored: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_verify(ctx: object, activity: object, verdict: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(
        inbox_worker.HANDLERS, "Follow", SimpleNamespace(verify=broken_verify, receive=None)
    )
    assert await live_server.app.state.inbox_worker.run_once() == 1
    row = await live_server.pool.fetchrow("SELECT * FROM inbox_activities")
    assert row["state"] == "queued" and row["attempts"] == 1
    assert row["result"] == "error: RuntimeError"
    assert row["available_at"] > row["received_at"] + timedelta(seconds=20)
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0


async def test_job_of_a_crashed_worker_is_handled_once(
    live_server: LiveServer, peer: Peer, follow_stored: dict[str, Any]
) -> None:
    # A worker claimed the job and died before finishing it.
    await queue.claim(live_server.pool, "inbox_activities", limit=1, lease=timedelta(0))
    await live_server.run_workers()
    assert (
        await live_server.pool.fetchval(
            "SELECT state FROM inbox_activities WHERE activity_id = $1", follow_stored["id"]
        )
        == "done"
    )
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 1
    assert await live_server.pool.fetchval("SELECT count(*) FROM outbound_activities") == 1
    assert len(peer.received) == 1
    # Stepping again finds nothing: the effect is not applied twice.
    await live_server.run_workers()
    assert len(peer.received) == 1


async def test_a_failed_delivery_is_retried_not_lost(
    live_server: LiveServer, peer: Peer, follow_stored: dict[str, Any]
) -> None:
    await peer.close()  # the follower's server goes down before our Accept is sent
    await live_server.run_workers()
    row = await live_server.pool.fetchrow("SELECT * FROM delivery_hosts")
    assert row["last_seq"] > row["cursor_seq"]  # still owed
    assert (row["failures"], row["delivered"]) == (1, 0)
    assert "connect_failed" in row["last_error"]
    assert row["next_attempt_at"] > row["failing_since"] + timedelta(seconds=40)
