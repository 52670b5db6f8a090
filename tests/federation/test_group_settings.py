"""Group settings from the CLI: an Update of the Group reaches its followers; who may post and
which replies are relayed follow the settings; rules show as profile fields and on the page."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from federation.local import create_actor
from tests.conftest import LiveServer
from tests.peer import Peer, PeerActor
from tests.processes import cli_env, peerhaven

AS = "https://www.w3.org/ns/activitystreams"


def note_create(
    peer: Peer, actor: PeerActor, group_url: str, reply_to: str | None = None
) -> dict[str, Any]:
    note = {"id": peer.new_id(actor, "Note"), "type": "Note", "attributedTo": actor.actor_id,
            "content": "<p>hi</p>", "to": [AS + "#Public"], "cc": [group_url]}  # fmt: skip
    if reply_to:
        note["inReplyTo"] = reply_to
    return {
        "@context": AS, "id": peer.new_id(actor, "Create"), "type": "Create",
        "actor": actor.actor_id, "to": note["to"], "cc": note["cc"], "object": note,
    }  # fmt: skip


async def test_settings_change_what_the_group_does(
    live_server: LiveServer, peer: Peer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    group_url = f"{live_server.base_url}/groups/circle"
    member, stranger = peer.actors["alice"], peer.add_actor("bob")
    follow = peer.follow(member, group_url)
    await peer.post(f"{group_url}/inbox", follow, actor=member)
    await live_server.run_workers()

    env = cli_env(database_url, live_server.base_url, PEERHAVEN_ALLOW_PRIVATE_ADDRESSES="true")
    result = peerhaven(
        "group", "set", "circle", "--name", "Calm Circle", "--posting", "anyone",
        "--replies", "all", "--rule", "Be kind", "--rule", "No method details",
        "--data-dir", str(tmp_path), env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    await live_server.run_workers()
    [update] = [r for r in peer.received if r.body["type"] == "Update"]
    assert update.verification.ok and update.body["object"]["name"] == "Calm Circle"
    fields = [(f["name"], f["value"]) for f in update.body["object"]["attachment"]]
    assert fields == [("Rule 1", "Be kind"), ("Rule 2", "No method details")]

    # anyone may post now, and replies are relayed
    top = note_create(peer, stranger, group_url)
    reply = note_create(peer, stranger, group_url, reply_to=top["object"]["id"])
    for doc in (top, reply):
        await peer.post(f"{group_url}/inbox", doc, actor=stranger)
    await live_server.run_workers()
    relayed = await live_server.pool.fetch("SELECT object_uri FROM group_posts ORDER BY id")
    assert [r["object_uri"] for r in relayed] == [top["object"]["id"], reply["object"]["id"]]

    async with httpx.AsyncClient() as http:
        page = await http.get(group_url, headers={"Accept": "text/html"})
    assert "Calm Circle" in page.text and "<li>No method details</li>" in page.text

    nothing = peerhaven("group", "set", "circle", "--data-dir", str(tmp_path), env=env)
    assert nothing.returncode != 0 and "nothing to change" in nothing.stderr


async def test_moderators_and_posting_restricted_to_them(
    live_server: LiveServer, peer: Peer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    group_url = f"{live_server.base_url}/groups/circle"
    member, mod = peer.actors["alice"], peer.add_actor("bob")
    follow = peer.follow(member, group_url)
    await peer.post(f"{group_url}/inbox", follow, actor=member)
    await live_server.run_workers()
    env = cli_env(database_url, live_server.base_url, PEERHAVEN_ALLOW_PRIVATE_ADDRESSES="true")
    args = ("--data-dir", str(tmp_path))

    async def cli(*words: str) -> str:
        # In a thread: the command fetches from the peer, which runs on this event loop.
        result = await asyncio.to_thread(peerhaven, "group", *words, *args, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    await cli("add-moderator", "circle", mod.actor_id)
    await cli("set", "circle", "--posting", "moderators")
    await live_server.run_workers()
    [add] = [r.body for r in peer.received if r.body["type"] == "Add"]
    assert add["object"] == mod.actor_id and add["target"] == f"{group_url}/moderators"
    async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
        group = (await http.get(group_url)).json()
        mods = (await http.get(group["attributedTo"])).json()
    assert group["postingRestrictedToMods"] is True
    assert mods["orderedItems"] == [mod.actor_id]

    for author in (member, mod):
        await peer.post(f"{group_url}/inbox", note_create(peer, author, group_url), actor=author)
    await live_server.run_workers()
    relayed = await live_server.pool.fetch("SELECT author_uri FROM group_posts")
    assert [r["author_uri"] for r in relayed] == [mod.actor_id]
    [reject] = [r.body for r in peer.received if r.body["type"] == "Reject"]
    assert "only moderators" in reject["summary"]

    await cli("remove-moderator", "circle", mod.actor_id)
    await live_server.run_workers()
    assert [r.body["object"] for r in peer.received if r.body["type"] == "Remove"] == [mod.actor_id]
    assert (await cli("moderators", "circle")).strip() == "no moderators"
    again = peerhaven("group", "remove-moderator", "circle", mod.actor_id, *args, env=env)
    assert again.returncode != 0 and "not a moderator" in again.stderr


async def test_pins_fill_the_featured_collection(
    live_server: LiveServer, peer: Peer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    group_url = f"{live_server.base_url}/groups/circle"
    alice = peer.actors["alice"]
    follow = peer.follow(alice, group_url)
    await peer.post(f"{group_url}/inbox", follow, actor=alice)
    welcome = note_create(peer, alice, group_url)
    await peer.post(f"{group_url}/inbox", welcome, actor=alice)
    await live_server.run_workers()
    env = cli_env(database_url, live_server.base_url)
    args = ("--data-dir", str(tmp_path))
    post_id, link = welcome["object"]["id"], "https://helplines.example/"
    for words in (("pin", "circle", post_id), ("pin", "circle", link, "--title", "Helplines")):
        result = peerhaven("group", *words, *args, env=env)
        assert result.returncode == 0, result.stderr
    await live_server.run_workers()
    adds = [r.body for r in peer.received if r.body["type"] == "Add"]
    assert {a["object"] for a in adds} == {post_id, link}
    assert all(a["target"] == f"{group_url}/featured" for a in adds)
    async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
        featured = (await http.get(f"{group_url}/featured")).json()
    items = featured["orderedItems"]
    assert featured["totalItems"] == 2
    assert {"type": "Link", "href": link, "name": "Helplines"} in items
    assert any(i.get("id") == post_id and i.get("type") == "Note" for i in items)

    async with httpx.AsyncClient() as http:
        page = (await http.get(group_url, headers={"Accept": "text/html"})).text
    assert f'<a href="{link}" rel="nofollow noopener">Helplines</a>' in page

    result = peerhaven("group", "unpin", "circle", link, *args, env=env)
    assert result.returncode == 0, result.stderr
    await live_server.run_workers()
    assert [r.body["object"] for r in peer.received if r.body["type"] == "Remove"] == [link]
    bad = peerhaven("group", "pin", "circle", "not-a-url", *args, env=env)
    assert bad.returncode != 0 and "http(s) URL" in bad.stderr
