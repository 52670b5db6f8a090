"""Groups that approve members: a Follow waits until a moderator answers it (CLI), then the
Accept or Reject reaches the requester, signed by the group."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.local import create_actor
from tests.conftest import LiveServer
from tests.peer import Peer
from tests.processes import cli_env, peerhaven

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
async def group_url(live_server: LiveServer) -> str:
    await create_actor(
        live_server.pool, kind="Group", username="circle", name="Circle",
        manually_approves_followers=True,
    )  # fmt: skip
    return f"{live_server.base_url}/groups/circle"


async def test_requests_wait_for_a_moderator(
    live_server: LiveServer, peer: Peer, group_url: str, database_url: str, tmp_path: Path
) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    requests = {a.name: peer.follow(a, group_url) for a in (alice, bob)}
    for actor in (alice, bob):
        status, _ = await peer.post(f"{group_url}/inbox", requests[actor.name], actor=actor)
        assert status == 202
    await live_server.run_workers()
    assert peer.received == []  # nothing answered yet
    states = await live_server.pool.fetch("SELECT state FROM follows")
    assert [r["state"] for r in states] == ["pending", "pending"]

    env = cli_env(database_url, live_server.base_url)
    args = ("--data-dir", str(tmp_path))
    listed = peerhaven("group", "requests", "circle", *args, env=env)
    assert alice.actor_id in listed.stdout and bob.actor_id in listed.stdout
    assert peerhaven("group", "approve", "circle", alice.actor_id, *args, env=env).returncode == 0
    assert peerhaven("group", "reject", "circle", bob.actor_id, *args, env=env).returncode == 0
    again = peerhaven("group", "approve", "circle", bob.actor_id, *args, env=env)
    assert again.returncode != 0 and "no pending request" in again.stderr
    await live_server.run_workers()  # the server delivers what the CLI queued

    answers = {r.path: r for r in peer.received}
    accept, reject = answers["/users/alice/inbox"], answers["/users/bob/inbox"]
    assert accept.body["type"] == "Accept" and accept.verification.ok
    assert accept.body["object"]["id"] == requests["alice"]["id"]
    assert reject.body["type"] == "Reject" and reject.verification.ok
    assert reject.body["object"]["id"] == requests["bob"]["id"]
    follows = await live_server.pool.fetch("SELECT follower_uri, state FROM follows")
    assert [(r["follower_uri"], r["state"]) for r in follows] == [(alice.actor_id, "accepted")]


async def test_ban_and_unban(
    live_server: LiveServer, peer: Peer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(live_server.pool, kind="Group", username="open", name="Open")
    group_url = f"{live_server.base_url}/groups/open"
    alice = peer.actors["alice"]
    await peer.post(f"{group_url}/inbox", peer.follow(alice, group_url), actor=alice)
    await live_server.run_workers()
    env = cli_env(database_url, live_server.base_url)
    args = ("--data-dir", str(tmp_path))
    banned = peerhaven("group", "ban", "open", alice.actor_id, "--reason", "spam", *args, env=env)
    assert banned.returncode == 0, banned.stderr
    await live_server.run_workers()
    [block] = [r for r in peer.received if r.body["type"] == "Block"]
    assert block.verification.ok and block.body["object"] == alice.actor_id
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0

    # A post to the group now gets a Reject naming the ban; nothing is relayed.
    note = {"id": peer.new_id(alice, "Note"), "type": "Note", "attributedTo": alice.actor_id,
            "content": "<p>again</p>", "to": [group_url]}  # fmt: skip
    create = {"@context": AS, "id": peer.new_id(alice, "Create"), "type": "Create",
              "actor": alice.actor_id, "to": [group_url], "object": note}  # fmt: skip
    await peer.post(f"{group_url}/inbox", create, actor=alice)
    await live_server.run_workers()
    [reject] = [r for r in peer.received if r.body["type"] == "Reject"]
    assert "banned" in reject.body["summary"] and "spam" in reject.body["summary"]

    unbanned = peerhaven("group", "unban", "open", alice.actor_id, *args, env=env)
    assert unbanned.returncode == 0, unbanned.stderr
    await live_server.run_workers()
    [undo] = [r for r in peer.received if r.body["type"] == "Undo"]
    assert undo.body["object"]["id"] == block.body["id"]
    again = peerhaven("group", "unban", "open", alice.actor_id, *args, env=env)
    assert again.returncode != 0 and "not banned" in again.stderr


async def test_a_banned_member_cannot_follow_back(
    live_server: LiveServer, peer: Peer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(live_server.pool, kind="Group", username="open", name="Open")
    group_url = f"{live_server.base_url}/groups/open"
    alice = peer.actors["alice"]
    await peer.post(f"{group_url}/inbox", peer.follow(alice, group_url), actor=alice)
    await live_server.run_workers()
    env = cli_env(database_url, live_server.base_url)
    banned = peerhaven("group", "ban", "open", alice.actor_id, "--data-dir", str(tmp_path), env=env)
    assert banned.returncode == 0, banned.stderr
    await live_server.run_workers()
    again = peer.follow(alice, group_url)
    await peer.post(f"{group_url}/inbox", again, actor=alice)
    await live_server.run_workers()
    [reject] = [r.body for r in peer.received if r.body["type"] == "Reject"]
    assert reject["object"]["id"] == again["id"]
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0


async def test_open_members_only_group_holds_a_new_servers_first_member(
    live_server: LiveServer, peer: Peer
) -> None:
    await create_actor(live_server.pool, kind="Group", username="quiet", name="Quiet")
    await live_server.pool.execute("UPDATE local_actors SET visibility = 'members'")
    group_url = f"{live_server.base_url}/groups/quiet"
    alice = peer.actors["alice"]
    await peer.post(f"{group_url}/inbox", peer.follow(alice, group_url), actor=alice)
    await live_server.run_workers()
    assert peer.received == []  # no Accept: a moderator must confirm the new server
    assert await live_server.pool.fetchval("SELECT state FROM follows") == "pending"
