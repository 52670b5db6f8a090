"""The group relay's first slice: members' posts are announced to every follower and listed
in the outbox; a non-member's post gets a Reject; replies are stored, not relayed."""

from __future__ import annotations

import json
from typing import Any

import httpx

from federation.local import create_actor
from federation.parse import parse_document
from federation.wire import Activity
from tests.conftest import LiveServer
from tests.corpus import corpus_dir
from tests.federation.group_rig import AS, Members, create, post
from tests.peer import Peer


async def test_a_members_post_is_announced_to_followers_and_listed(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice, bob = peer.actors["alice"], peer.add_actor("bob")
    for member in (alice, bob):
        await post(live_server, peer, group_url, peer.follow(member, group_url), member)
    peer.received.clear()
    doc = create(peer, alice, group_url)
    await post(live_server, peer, group_url, doc, alice)

    # alice and bob share the peer's inbox: one signed Announce reaches it.
    announces = [r for r in peer.received if r.body["type"] == "Announce"]
    assert len(announces) == 1 and announces[0].path == "/inbox"
    announce = announces[0].body
    assert announces[0].verification.ok
    assert (announce["actor"], announce["object"]) == (group_url, doc["object"]["id"])
    assert announce["cc"] == [f"{group_url}/followers"]

    async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
        outbox = (await http.get(f"{group_url}/outbox")).json()
        page = (await http.get(outbox["first"])).json()
    assert outbox["totalItems"] == 1
    assert page["orderedItems"][0]["id"] == announce["id"]

    # The same post again (a retried Create) is relayed once.
    again = {**doc, "id": peer.new_id(alice, "Create")}
    await post(live_server, peer, group_url, again, alice)
    assert len([r for r in peer.received if r.body["type"] == "Announce"]) == 1


async def test_a_non_members_post_is_rejected_not_dropped(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    stranger = peer.actors["alice"]
    doc = create(peer, stranger, group_url)
    await post(live_server, peer, group_url, doc, stranger)
    [reject] = [r for r in peer.received if r.body["type"] == "Reject"]
    assert reject.path == "/users/alice/inbox" and reject.verification.ok
    assert reject.body["object"] == doc["id"]
    assert "members" in reject.body["summary"]
    assert await live_server.pool.fetchval("SELECT count(*) FROM group_posts") == 0


async def test_replies_and_unaddressed_posts_are_not_relayed(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    await post(live_server, peer, group_url, peer.follow(alice, group_url), alice)
    top = create(peer, alice, group_url)
    await post(live_server, peer, group_url, top, alice)
    reply = create(peer, alice, group_url, reply_to=top["object"]["id"])
    unaddressed = create(peer, alice, group_url, mention=False)
    for doc in (reply, unaddressed):
        await post(live_server, peer, group_url, doc, alice)
    assert await live_server.pool.fetchval("SELECT count(*) FROM group_posts") == 1
    assert await live_server.pool.fetchval("SELECT count(*) FROM remote_objects") == 3
    assert not [r for r in peer.received if r.body["type"] == "Reject"]


async def test_the_authors_delete_withdraws_the_relay(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    await post(live_server, peer, group_url, peer.follow(alice, group_url), alice)
    doc = create(peer, alice, group_url)
    await post(live_server, peer, group_url, doc, alice)
    [announce] = [r.body for r in peer.received if r.body["type"] == "Announce"]
    tombstone = {"id": doc["object"]["id"], "type": "Tombstone"}
    delete = {"@context": AS, "id": peer.new_id(alice, "Delete"), "type": "Delete",
              "actor": alice.actor_id, "object": tombstone}  # fmt: skip
    await post(live_server, peer, group_url, delete, alice)

    [undo] = [r for r in peer.received if r.body["type"] == "Undo"]
    assert undo.verification.ok and undo.body["actor"] == group_url
    assert undo.body["object"]["id"] == announce["id"]
    assert undo.body["object"]["type"] == "Announce"
    async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
        outbox = (await http.get(f"{group_url}/outbox")).json()
    assert outbox["totalItems"] == 0


async def test_each_server_gets_the_form_its_software_shows(
    live_server: LiveServer, group_url: str, members: Members
) -> None:
    mastodon, lemmy, alice, _ = members
    doc = create(mastodon, alice, group_url)
    await post(live_server, mastodon, group_url, doc, alice)

    [boost] = [r.body for r in mastodon.received if r.body["type"] == "Announce"]
    [wrapped] = [r.body for r in lemmy.received if r.body["type"] == "Announce"]
    assert boost["object"] == doc["object"]["id"]  # Mastodon: a boost of the post
    assert wrapped["object"]["type"] == "Create"  # FEP-1b12: the activity itself
    assert wrapped["object"]["id"] == doc["id"]
    assert wrapped["object"]["object"] == doc["object"]
    assert wrapped["audience"] == group_url
    for received in (*mastodon.received, *lemmy.received):
        assert received.verification.ok

    tombstone = {"id": doc["object"]["id"], "type": "Tombstone"}
    delete = {"@context": AS, "id": mastodon.new_id(alice, "Delete"), "type": "Delete",
              "actor": alice.actor_id, "object": tombstone}  # fmt: skip
    await post(live_server, mastodon, group_url, delete, alice)
    [undo] = [r.body for r in mastodon.received if r.body["type"] == "Undo"]
    assert undo["object"]["id"] == boost["id"]
    [announced_delete] = [
        r.body for r in lemmy.received
        if r.body["type"] == "Announce" and r.body["object"]["type"] == "Delete"
    ]  # fmt: skip
    assert announced_delete["object"]["id"] == delete["id"]


async def test_refused_mastodon_authors_also_get_a_direct_message(
    live_server: LiveServer, group_url: str, servers: tuple[Peer, Peer]
) -> None:
    mastodon, lemmy = servers
    for peer_ in (mastodon, lemmy):
        author = peer_.add_actor("stranger")
        await post(live_server, peer_, group_url, create(peer_, author, group_url), author)
    [m_reject] = [r.body for r in mastodon.received if r.body["type"] == "Reject"]
    [dm] = [r for r in mastodon.received if r.body["type"] == "Create"]
    note = dm.body["object"]
    assert dm.verification.ok and dm.path == "/users/stranger/inbox"
    assert note["to"] == [mastodon.actors["stranger"].actor_id] and note["cc"] == []
    assert "not shared in Circle" in note["content"] and "members" in note["content"]
    assert note["tag"][0]["href"] == mastodon.actors["stranger"].actor_id
    assert m_reject["summary"] in note["content"]
    # Group-aware software shows the Reject itself: no extra message.
    assert [r.body["type"] for r in lemmy.received] == ["Reject"]


def _shape(path: str) -> dict[str, Any]:
    """A corpus payload; Mbin's snapshots have their ids scrubbed: give them real ones."""
    text = (corpus_dir("activities") / path).read_text("utf-8")
    parts = text.split('"SCRUBBED_ID"')
    text = "".join(
        part + (f'"https://mbin.example/ids/{n}"' if n < len(parts) - 1 else "")
        for n, part in enumerate(parts)
    )
    return json.loads(text)


async def test_relay_forms_have_the_fields_real_peers_send(
    live_server: LiveServer, group_url: str, members: Members
) -> None:
    """What we send parses like theirs and carries the fields Lemmy, Mbin and Mastodon put in
    the same activity (their payloads from ../shared/corpus)."""
    lemmy_announce = _shape("lemmy/lemmy-assets/activities/community/announce_create_page.json")
    mbin_announce = _shape("mbin/mbin-test-snapshots/AnnounceTest__testAnnounceCreatePost__1.json")
    mastodon_boost = _shape("mastodon/pleroma-fixtures/mastodon-announce.json")
    mastodon_undo = _shape("mastodon/pleroma-fixtures/mastodon-undo-announce.json")
    mastodon, lemmy, alice, _ = members
    doc = create(mastodon, alice, group_url)
    await post(live_server, mastodon, group_url, doc, alice)
    delete = {"@context": AS, "id": mastodon.new_id(alice, "Delete"), "type": "Delete",
              "actor": alice.actor_id, "object": doc["object"]["id"]}  # fmt: skip
    await post(live_server, mastodon, group_url, delete, alice)
    ours = {(r.body["type"], type(r.body["object"]).__name__): r.body
            for r in (*mastodon.received, *lemmy.received)}  # fmt: skip
    unsigned = {"signature", "atomUri"}  # LD signatures and OStatus leftovers: optional
    pairs = [
        (ours[("Announce", "dict")], lemmy_announce),
        (ours[("Announce", "dict")], mbin_announce),
        (ours[("Announce", "str")], mastodon_boost),
        (ours[("Undo", "dict")], mastodon_undo),
    ]
    for mine, theirs in pairs:
        assert set(theirs) - unsigned <= set(mine), (mine["type"], set(theirs) - set(mine))
        parsed_mine, parsed_theirs = parse_document(mine), parse_document(theirs)
        assert isinstance(parsed_mine, Activity) and isinstance(parsed_theirs, Activity)
        assert parsed_mine.type == parsed_theirs.type
        assert (
            type(parsed_mine.object) is type(parsed_theirs.object)
            or (isinstance(parsed_theirs.object, str) or isinstance(parsed_mine.object, str))
            is False
        )
        if isinstance(theirs["object"], dict):
            inner = set(theirs["object"]) - unsigned - {"@context"}
            if theirs["object"]["type"] == mine["object"]["type"]:
                assert inner <= set(mine["object"]) | {"audience", "published"}


async def test_pages_show_groups_and_their_recent_public_posts(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    await create_actor(live_server.pool, kind="Group", username="hidden", name="Hidden")
    await live_server.pool.execute(
        "UPDATE local_actors SET discoverable = false WHERE username = 'hidden'"
    )
    alice = peer.actors["alice"]
    await post(live_server, peer, group_url, peer.follow(alice, group_url), alice)
    doc = create(peer, alice, group_url)
    doc["object"]["summary"] = "a hard day"
    doc["object"]["content"] = "<p>words <script>x()</script>of support</p>"
    await post(live_server, peer, group_url, doc, alice)
    async with httpx.AsyncClient(headers={"Accept": "text/html"}) as http:
        home = (await http.get(live_server.base_url + "/")).text
        page = (await http.get(group_url)).text
    assert "@circle@" in home and "Hidden" not in home
    assert "<summary>a hard day</summary>" in page  # content warnings stay folded
    assert "words" in page and "<script>" not in page


async def test_updates_and_likes_reach_group_aware_members(
    live_server: LiveServer, group_url: str, members: Members
) -> None:
    mastodon, lemmy, alice, carol = members
    doc = create(mastodon, alice, group_url)
    await post(live_server, mastodon, group_url, doc, alice)
    edited = {**doc["object"], "content": "<p>edited</p>", "updated": "2026-11-25T12:00:00Z"}
    update = {"@context": AS, "id": mastodon.new_id(alice, "Update"), "type": "Update",
              "actor": alice.actor_id, "object": edited}  # fmt: skip
    await post(live_server, mastodon, group_url, update, alice)
    like = {"@context": AS, "id": lemmy.new_id(carol, "Like"), "type": "Like",
            "actor": carol.actor_id, "object": doc["object"]["id"]}  # fmt: skip
    await post(live_server, lemmy, group_url, like, carol)
    wrapped = [r.body["object"] for r in lemmy.received if r.body["type"] == "Announce"]
    assert [w["type"] for w in wrapped] == ["Create", "Update", "Like"]
    assert wrapped[1]["object"]["content"] == "<p>edited</p>" and wrapped[2]["id"] == like["id"]
    # Mastodon-family members got the boost only.
    assert [r.body["type"] for r in mastodon.received if r.body["actor"] == group_url] == [
        "Accept", "Announce"
    ]  # fmt: skip


async def test_a_followers_only_post_is_not_made_public(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    await post(live_server, peer, group_url, peer.follow(alice, group_url), alice)
    doc = create(peer, alice, group_url)
    doc["object"]["to"] = doc["to"] = [f"{alice.actor_id}/followers"]
    await post(live_server, peer, group_url, doc, alice)
    assert await live_server.pool.fetchval("SELECT count(*) FROM group_posts") == 0
    [reject] = [r.body for r in peer.received if r.body["type"] == "Reject"]
    assert "only public posts" in reject["summary"]
