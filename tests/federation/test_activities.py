"""Each activity type end to end: signed by a peer over HTTP, stored, acted on by the worker,
with the authority checks each needs."""

from __future__ import annotations

from typing import Any

import pytest

from federation.jsonld import bundled_loader
from federation.local import create_actor
from federation.signatures.ld import sign_ld_document
from tests.conftest import LiveServer
from tests.peer import Peer, PeerActor

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture
async def group_url(live_server: LiveServer) -> str:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    return f"{live_server.base_url}/groups/circle"


def activity(peer: Peer, actor: PeerActor, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(actor, kind),
        "type": kind,
        "actor": actor.actor_id,
        "object": obj,
        **extra,
    }


def note(peer: Peer, actor: PeerActor, group_url: str, content: str) -> dict[str, Any]:
    return {
        "id": peer.new_id(actor, "Note"),
        "type": "Note",
        "attributedTo": actor.actor_id,
        "content": content,
        "to": [group_url],
        "cc": ["as:Public"],
    }


async def deliver(
    live_server: LiveServer, peer: Peer, group_url: str, doc: dict[str, Any], actor: PeerActor
) -> None:
    status, answer = await peer.post(f"{group_url}/inbox", doc, actor=actor)
    assert status == 202, answer
    await live_server.run_workers()


async def outcome(live_server: LiveServer, activity_id: str) -> tuple[str, str]:
    row = await live_server.pool.fetchrow(
        "SELECT state, result FROM inbox_activities WHERE activity_id = $1", activity_id
    )
    return row["state"], row["result"]


async def test_create_update_delete_by_the_author(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    post = note(
        peer, alice, group_url, '<p>hello <script>alert(1)</script><a href="javascript:x">x</a></p>'
    )
    await deliver(live_server, peer, group_url, activity(peer, alice, "Create", post), alice)
    row = await live_server.pool.fetchrow("SELECT * FROM remote_objects WHERE uri = $1", post["id"])
    assert row["attributed_to"] == alice.actor_id
    assert "<script" not in row["content"] and "javascript:" not in row["content"]
    assert "hello" in row["content"]

    edited = {**post, "content": "<p>edited</p>", "updated": "2026-11-25T10:00:00Z"}
    await deliver(live_server, peer, group_url, activity(peer, alice, "Update", edited), alice)
    content = await live_server.pool.fetchval(
        "SELECT content FROM remote_objects WHERE uri = $1", post["id"]
    )
    assert content == "<p>edited</p>"

    delete = activity(peer, alice, "Delete", {"id": post["id"], "type": "Tombstone"})
    await deliver(live_server, peer, group_url, delete, alice)
    row = await live_server.pool.fetchrow("SELECT * FROM remote_objects WHERE uri = $1", post["id"])
    assert row["deleted_at"] is not None and row["content"] == ""

    # A replayed Create (new activity id, same object) cannot bring it back.
    replay = activity(peer, alice, "Create", post)
    await deliver(live_server, peer, group_url, replay, alice)
    assert await outcome(live_server, replay["id"]) == ("dropped", "object_was_deleted")


async def test_only_the_author_may_update_or_delete(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    post = note(peer, alice, group_url, "<p>mine</p>")
    await deliver(live_server, peer, group_url, activity(peer, alice, "Create", post), alice)

    # bob claims authorship of alice's note in his Update: dropped, content unchanged.
    hijack = {**post, "attributedTo": bob.actor_id, "content": "<p>bob was here</p>"}
    update = activity(peer, bob, "Update", hijack)
    await deliver(live_server, peer, group_url, update, bob)
    assert await outcome(live_server, update["id"]) == ("dropped", "not_author")
    delete = activity(peer, bob, "Delete", post["id"])
    await deliver(live_server, peer, group_url, delete, bob)
    assert await outcome(live_server, delete["id"]) == ("dropped", "not_author")
    row = await live_server.pool.fetchrow("SELECT * FROM remote_objects WHERE uri = $1", post["id"])
    assert row["content"] == "<p>mine</p>" and row["deleted_at"] is None


async def test_create_claiming_another_author_is_refused(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    forged = note(peer, alice, group_url, "<p>not bob's words</p>")
    status, answer = await peer.post(
        f"{group_url}/inbox", activity(peer, bob, "Create", forged), actor=bob
    )
    assert (status, answer["error"]) == (400, "not_author")
    assert await live_server.pool.fetchval("SELECT count(*) FROM inbox_activities") == 0


async def test_like_announce_and_undo(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    post = note(peer, alice, group_url, "<p>a post</p>")
    await deliver(live_server, peer, group_url, activity(peer, alice, "Create", post), alice)
    like = activity(peer, bob, "Like", post["id"])
    boost = activity(peer, bob, "Announce", post["id"], to=[AS + "#Public"])
    for doc in (like, boost):
        await deliver(live_server, peer, group_url, doc, bob)
    kinds = await live_server.pool.fetch("SELECT type FROM reactions ORDER BY type")
    assert [r["type"] for r in kinds] == ["Announce", "Like"]

    # Only the actor may undo its own Like: alice's Undo of bob's Like (by reference) is a no-op.
    foreign_undo = activity(peer, alice, "Undo", like["id"])
    await deliver(live_server, peer, group_url, foreign_undo, alice)
    assert await live_server.pool.fetchval("SELECT count(*) FROM reactions") == 2
    await deliver(live_server, peer, group_url, activity(peer, bob, "Undo", like), bob)
    remaining = await live_server.pool.fetch("SELECT type FROM reactions")
    assert [r["type"] for r in remaining] == ["Announce"]


async def test_undo_of_someone_elses_embedded_activity_is_refused(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    follow = activity(peer, alice, "Follow", group_url)
    await deliver(live_server, peer, group_url, follow, alice)
    status, answer = await peer.post(
        f"{group_url}/inbox", activity(peer, bob, "Undo", follow), actor=bob
    )
    assert (status, answer["error"]) == (400, "not_own_activity")
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 1


async def test_block_ends_the_follow(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice = peer.actors["alice"]
    await deliver(live_server, peer, group_url, activity(peer, alice, "Follow", group_url), alice)
    await deliver(live_server, peer, group_url, activity(peer, alice, "Block", group_url), alice)
    assert await live_server.pool.fetchval("SELECT count(*) FROM actor_blocks") == 1
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0


async def test_flag_is_stored_as_a_report(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    flag = activity(
        peer, alice, "Flag", [group_url, f"{group_url}/posts/1"], content="spam in the group"
    )
    await deliver(live_server, peer, group_url, flag, alice)
    report = await live_server.pool.fetchrow("SELECT * FROM reports")
    assert report["object_uris"] == [group_url, f"{group_url}/posts/1"]
    assert report["content"] == "spam in the group"


async def test_update_of_an_actor_refetches_it(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    await deliver(live_server, peer, group_url, activity(peer, alice, "Follow", group_url), alice)
    # The payload claims one name; the origin serves another: the origin wins.
    alice.extra["name"] = "Alice (they/them)"
    claimed = {**alice.document(), "name": "Not What The Origin Says"}
    await deliver(live_server, peer, group_url, activity(peer, alice, "Update", claimed), alice)
    name = await live_server.pool.fetchval(
        "SELECT name FROM remote_actors WHERE uri = $1", alice.actor_id
    )
    assert name == "Alice (they/them)"


async def test_delete_of_an_actor_drops_its_follows_and_content(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    await deliver(live_server, peer, group_url, activity(peer, alice, "Follow", group_url), alice)
    post = note(peer, alice, group_url, "<p>bye</p>")
    await deliver(live_server, peer, group_url, activity(peer, alice, "Create", post), alice)
    delete = activity(peer, alice, "Delete", alice.actor_id, to=[AS + "#Public"])
    await deliver(live_server, peer, group_url, delete, alice)
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert (
        await live_server.pool.fetchval(
            "SELECT count(*) FROM remote_objects WHERE deleted_at IS NULL"
        )
        == 0
    )
    assert await live_server.pool.fetchval(
        "SELECT deleted_at IS NOT NULL FROM remote_actors WHERE uri = $1", alice.actor_id
    )


@pytest.mark.parametrize("confirmed", [True, False])
async def test_move_needs_the_target_to_confirm(
    live_server: LiveServer, peer: Peer, group_url: str, confirmed: bool
) -> None:
    alice = peer.actors["alice"]
    new_home = peer.add_actor("alice2")
    if confirmed:
        new_home.extra["alsoKnownAs"] = [alice.actor_id]
    move = activity(peer, alice, "Move", alice.actor_id, target=new_home.actor_id)
    await deliver(live_server, peer, group_url, move, alice)
    moved_to = await live_server.pool.fetchval(
        "SELECT moved_to FROM remote_actors WHERE uri = $1", alice.actor_id
    )
    if confirmed:
        assert moved_to == new_home.actor_id
    else:
        assert moved_to is None
        assert await outcome(live_server, move["id"]) == ("dropped", "target_does_not_confirm_move")


@pytest.mark.parametrize("published", [True, False])
async def test_forwarded_activity_is_believed_only_from_its_origin(
    live_server: LiveServer, peer: Peer, group_url: str, published: bool
) -> None:
    alice, relay = peer.actors["alice"], peer.add_actor("relay")
    post = note(peer, alice, group_url, "<p>forwarded</p>")
    create = activity(peer, alice, "Create", post)
    create["id"] = f"{peer.base_url}/activities/{post['id'].rsplit('/', 1)[1]}"
    if published:
        peer.publish(create)
    status, answer = await peer.post(f"{group_url}/inbox", create, actor=relay)
    if published:
        assert status == 202, answer
        await live_server.run_workers()
        state, _ = await outcome(live_server, create["id"])
        verified_by = await live_server.pool.fetchval("SELECT verified_by FROM inbox_activities")
        assert (state, verified_by) == ("done", "origin-fetch")
    else:
        assert (status, answer["error"]) == (401, "owner_mismatch")
        assert await live_server.pool.fetchval("SELECT count(*) FROM inbox_activities") == 0


@pytest.mark.parametrize("tampered", [False, True])
async def test_forwarded_activity_with_the_actors_ld_signature(
    live_server: LiveServer, peer: Peer, group_url: str, tampered: bool
) -> None:
    alice, relay = peer.actors["alice"], peer.add_actor("relay")
    create = activity(peer, alice, "Create", note(peer, alice, group_url, "<p>signed</p>"))
    create["@context"] = [AS, "https://w3id.org/security/v1"]
    signed = sign_ld_document(
        create, creator=alice.key_id, created="2026-11-25T12:00:00Z",
        private_key_pem=alice.private_pem, loader=bundled_loader,
    )  # fmt: skip
    if tampered:
        signed["object"]["content"] = "<p>changed in transit</p>"
    status, answer = await peer.post(f"{group_url}/inbox", signed, actor=relay)
    if tampered:
        assert (status, answer["error"]) == (401, "owner_mismatch")
        return
    assert status == 202, answer
    await live_server.run_workers()
    verified_by = await live_server.pool.fetchval("SELECT verified_by FROM inbox_activities")
    assert verified_by == "ld-signature"
    state, result = await outcome(live_server, create["id"])
    assert state == "done" and result.startswith("note stored")
