"""Accountable anonymous submissions, live: a member's direct message to the group starting
with its keyword waits for the group's moderators, who read the text without its author;
approved, the group publishes it as its own note; the author is told by direct message; the
author's identity is sealed (unsealing is audited) and can be banned through the post.

The author lives alone on a second host (127.0.0.2) with a distinctive name, so that their
handle, actor URL and domain can be looked for in everything the scenario produces."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
import pytest

from federation.local import create_actor
from federation.signatures.cavage import sign_request
from server.api.auth import hash_token
from storage import tokens
from tests.conftest import LiveServer
from tests.federation.group_rig import API, AS, create, post, received
from tests.peer import Peer, PeerActor

AUTHOR = "zephyrine_quill"
TEXT = "I finally told my family about my diagnosis.\n\nIt went better than I feared."


@dataclass
class Rig:
    server: LiveServer
    group_url: str
    mastodon: Peer  # alice's server (Mastodon)
    lemmy: Peer  # carol's server (group-aware)
    home: Peer  # the author's server, 127.0.0.2: nobody else lives there
    alice: PeerActor
    carol: PeerActor
    author: PeerActor
    admin: httpx.AsyncClient  # ada, an admin of the instance
    mod: httpx.AsyncClient  # mona, a moderator of the group
    other: httpx.AsyncClient  # otto, a moderator of another group
    anon: httpx.AsyncClient  # nobody: no token

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must appear nowhere but in the author's own notices and the unseal."""
        return (AUTHOR, self.author.actor_id, "127.0.0.2")

    async def send(self, peer: Peer, actor: PeerActor, doc: dict[str, Any]) -> None:
        await post(self.server, peer, self.group_url, doc, actor)


def direct(peer: Peer, actor: PeerActor, group_url: str, text: str) -> dict[str, Any]:
    """A Mastodon direct message to the group: to the group alone, mentioning it."""
    mention = (
        f'<span class="h-card"><a href="{group_url}" class="u-url mention">@<span>circle'
        "</span></a></span>"
    )
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    note_id = peer.new_id(actor, "Note")
    note = {
        "id": note_id, "type": "Note", "attributedTo": actor.actor_id,
        "url": f"{peer.base_url}/@{actor.name}/{note_id.rsplit('/', 1)[1]}",
        "content": f"<p>{mention} </p>{paragraphs}" if text else f"<p>{mention}</p>",
        "to": [group_url], "cc": [], "sensitive": False,
        "tag": [{"type": "Mention", "href": group_url, "name": "@circle"}],
    }  # fmt: skip
    return {
        "@context": AS, "id": f"{note_id}/activity", "type": "Create", "actor": actor.actor_id,
        "to": [group_url], "cc": [], "object": note,
    }  # fmt: skip


async def staff(live: LiveServer, name: str, role: str) -> httpx.AsyncClient:
    account = await create_actor(live.pool, kind="Person", username=name, name=name, role=role)
    await tokens.add(live.pool, hash_token(f"{name}-token"), account.id)
    headers = {"Authorization": f"Bearer {name}-token"}
    return httpx.AsyncClient(base_url=live.base_url + API, headers=headers)


@pytest.fixture
async def rig(live_server: LiveServer, group_url: str) -> AsyncIterator[Rig]:
    mastodon = await Peer("localhost", software="mastodon").start()
    lemmy = await Peer("127.0.0.3", software="lemmy").start()
    home = await Peer("127.0.0.2", software="mastodon").start()
    clients = [
        await staff(live_server, "ada", "admin"),
        await staff(live_server, "mona", "moderator"),
        await staff(live_server, "otto", "moderator"),
        httpx.AsyncClient(base_url=live_server.base_url + API),
    ]
    try:
        alice, carol = mastodon.add_actor("alice"), lemmy.add_actor("carol")
        author = home.add_actor(AUTHOR)
        r = Rig(live_server, group_url, mastodon, lemmy, home, alice, carol, author, *clients)
        for peer, member in ((mastodon, alice), (lemmy, carol), (home, author)):
            await r.send(peer, member, peer.follow(member, group_url))
        await create_actor(live_server.pool, kind="Group", username="other", name="Other")
        for slug, name in (("circle", "mona"), ("other", "otto")):
            added = await r.admin.post(
                f"/groups/{slug}/moderators",
                json={"actor": f"{live_server.base_url}/users/{name}", "action": "add"},
            )
            assert added.status_code == 200, added.text
        await live_server.run_workers()
        yield r
    finally:
        for client in clients:
            await client.aclose()
        for peer in (mastodon, lemmy, home):
            await peer.close()


async def submit(r: Rig, text: str = TEXT) -> dict[str, Any]:
    """The author's keyword DM; returns the submission as the group's moderator lists it."""
    await r.send(r.home, r.author, direct(r.home, r.author, r.group_url, f"!anon {text}"))
    listed = await r.mod.get("/anonymous", params={"group": "circle"})
    assert listed.status_code == 200, listed.text
    [submission] = listed.json()
    return submission


def creates_from_group(peer: Peer, group_url: str) -> list[dict[str, Any]]:
    return [b for b in received(peer, "Create") if b["actor"] == group_url]


async def fetch(url: str, signer: PeerActor | None = None, html: bool = False) -> tuple[int, str]:
    headers = {"Accept": "text/html" if html else "application/activity+json"}
    if signer is not None:
        headers.update(sign_request("GET", url, headers, None, signer.key_id,
                                    signer.private_pem, datetime.now(UTC)))  # fmt: skip
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_a_members_keyword_dm_is_held_approved_and_published_by_the_group(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = rig
    before = {p.host: len(p.received) for p in (r.mastodon, r.lemmy, r.home)}
    submission = await submit(r)

    # Held: nothing reached anyone, and the moderators read the text, not who wrote it.
    assert {p.host: len(p.received) for p in (r.mastodon, r.lemmy, r.home)} == before
    assert submission["content"] == TEXT and submission["state"] == "pending"
    assert not (await r.admin.get("/review")).json()  # not in the general review queue

    approved = await r.mod.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    note_id = approved.json()["published"]
    await r.server.run_workers()

    # Both members' servers get the group's own public note, attributed to the group alone.
    for peer in (r.mastodon, r.lemmy):
        [create_doc] = creates_from_group(peer, r.group_url)
        note = create_doc["object"]
        assert note["id"] == note_id and note["attributedTo"] == r.group_url
        assert note["to"] == [AS + "#Public"] and note["cc"] == [f"{r.group_url}/followers"]
        assert "I finally told my family" in note["content"] and "!anon" not in note["content"]
        assert "<p>It went better than I feared.</p>" in note["content"]
    # The author's server gets the note like every member's, and the author is told.
    to_author = creates_from_group(r.home, r.group_url)
    assert [c["object"]["id"] for c in to_author if c["object"]["id"] == note_id]
    [told] = [c for c in to_author if c["object"]["to"] == [r.author.actor_id]]
    assert note_id in told["object"]["content"]
    assert "published" in told["object"]["content"]
    # Listed in the group's outbox like its other posts; served to a member's server.
    status, outbox = await fetch(f"{r.group_url}/outbox?page=1")
    assert status == 200 and note_id in outbox
    assert (await fetch(note_id, r.alice))[0] == 200

    # Replies to the anonymous post are relayed like replies to any group post.
    patched = await r.admin.patch("/groups/circle", json={"replies": "all"})
    assert patched.status_code == 200, patched.text
    reply = create(r.mastodon, r.alice, r.group_url, reply_to=note_id)
    await r.send(r.mastodon, r.alice, reply)
    announces = [b for b in received(r.lemmy, "Announce") if b["object"]["id"] == reply["id"]]
    assert len(announces) == 1

    # Unsealing shows the author to the group's moderator, with a reason, audited.
    refused = await r.mod.post(f"/anonymous/{submission['id']}/unseal", json={})
    assert refused.status_code == 400
    unsealed = await r.mod.post(
        f"/anonymous/{submission['id']}/unseal", json={"reason": "threats reported by a member"}
    )
    assert unsealed.status_code == 200, unsealed.text
    # The strings the leak check looks for do appear where they may: the check can fail.
    for secret in r.secrets:
        assert secret in unsealed.text
    audit = (await r.admin.get("/audit", params={"action": "anonymous_unseal"})).json()
    [entry] = audit
    assert entry["reason"] == "threats reported by a member"
    assert entry["who"] == f"{r.server.base_url}/users/mona"

    # A ban through the published note blocks the real author, unseen.
    banned = await r.mod.post("/anonymous/bans", json={"note": note_id, "reason": "threats"})
    assert banned.status_code == 200, banned.text
    assert banned.json()["author_banned"] is True
    again = await r.mod.post("/anonymous/bans", json={"submission": submission["id"]})
    assert again.status_code == 409
    await r.server.run_workers()
    assert [b["object"] for b in received(r.home, "Block")] == [r.author.actor_id]
    later = create(r.home, r.author, r.group_url)
    await r.send(r.home, r.author, later)
    [reject] = received(r.home, "Reject")
    assert reject["object"] == later["id"] and "banned" in reject["summary"]
    assert not [b for b in received(r.mastodon, "Announce") if b["object"] == later["object"]["id"]]

    # Everything else the scenario produced names neither the author's handle, actor nor
    # domain: every payload delivered to anyone but the author, every stored outgoing
    # activity others receive, the group's pages, other staff's and anonymous API answers,
    # the inbox's stored result and the log.
    material: dict[str, str] = {}
    for peer in (r.mastodon, r.lemmy):
        for i, got in enumerate(peer.received):
            material[f"{peer.host} received #{i} {got.body['type']}"] = json.dumps(got.body)
    author_host = r.author.actor_id.split("/")[2]
    for row in await r.server.pool.fetch("SELECT body, recipients FROM outbound_activities"):
        if set(json.loads(row["recipients"])) - {author_host}:
            material[f"outbound {row['body'][:80]}"] = row["body"]
    base = r.server.base_url
    pages = [
        (r.group_url, None, True), (r.group_url, None, False),
        (f"{r.group_url}/outbox", None, False), (f"{r.group_url}/outbox?page=1", None, False),
        (note_id, None, True),
        (note_id, r.alice, False), (f"{base}/", None, True), (f"{base}/resources", None, True),
        (f"{base}/about/moderation", None, True), (f"{base}/metrics", None, True),
        (f"{base}/nodeinfo/2.1", None, False),
    ]  # fmt: skip
    for url, signer, html in pages:
        material[f"GET {url} html={html} signed={signer is not None}"] = (
            await fetch(url, signer, html)
        )[1]
    sid = submission["id"]
    for name, client in (("otto", r.other), ("nobody", r.anon)):
        calls = [
            client.get("/anonymous"), client.get("/anonymous", params={"group": "circle"}),
            client.get("/anonymous", params={"state": "all"}),
            client.post(f"/anonymous/{sid}/unseal", json={"reason": "curious"}),
            client.post(f"/anonymous/{sid}", json={"decision": "decline"}),
            client.post("/anonymous/bans", json={"submission": sid}),
            client.get("/audit"), client.get("/review"), client.get("/reports"),
            client.get("/moderation/summary"), client.get("/groups"),
            client.get("/groups/circle/moderators"),
        ]  # fmt: skip
        for call in calls:
            answer = await call
            material[f"{name} {answer.request.method} {answer.request.url}"] = answer.text
        forbidden = await client.post(f"/anonymous/{sid}/unseal", json={"reason": "curious"})
        assert forbidden.status_code in (401, 403)
    result = await r.server.pool.fetchval(
        "SELECT result FROM inbox_activities WHERE activity_id LIKE $1", "%/note/%/activity"
    )
    assert "anonymous submission" in result
    material["inbox result"] = result
    material["log"] = "\n".join(record.getMessage() for record in caplog.records)
    assert len(material) > 40
    leaks = [(where, s) for where, text in material.items() for s in r.secrets if s in text]
    assert leaks == []
