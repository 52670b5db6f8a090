"""The anonymous-submission rig: our server with the group ``circle`` and its moderator mona,
another group's moderator otto, an admin, members alice (Mastodon) and carol (Lemmy), and
an author alone on a second host (127.0.0.2) with a distinctive name, so that their
handle, actor URL and domain can be looked for in everything a scenario produces. The
``rig`` fixture is in ``conftest.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from federation.local import create_actor
from server.api.auth import hash_token
from storage import tokens
from tests.conftest import LiveServer
from tests.federation.group_rig import API, AS, post
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
