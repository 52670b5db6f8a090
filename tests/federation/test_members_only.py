"""Members-only groups: accepted posts are republished by the group as its own followers-only
notes (Mastodon can boost only public posts); those copies are served only to signed fetches
from members' servers; a first member from a new server needs the moderator's confirmation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from federation.local import create_actor
from federation.signatures.cavage import sign_request
from tests.conftest import LiveServer
from tests.peer import Peer, PeerActor
from tests.processes import cli_env, peerhaven

AS = "https://www.w3.org/ns/activitystreams"


def followers_only_post(peer: Peer, actor: PeerActor, group_url: str) -> dict[str, Any]:
    note = {"id": peer.new_id(actor, "Note"), "type": "Note", "attributedTo": actor.actor_id,
            "content": "<p>only for us</p>", "to": [group_url], "cc": [],
            "tag": [{"type": "Mention", "href": group_url}]}  # fmt: skip
    return {"@context": AS, "id": peer.new_id(actor, "Create"), "type": "Create",
            "actor": actor.actor_id, "to": [group_url], "object": note}  # fmt: skip


async def fetch(url: str, signer: PeerActor | None) -> int:
    headers = {"Accept": "application/activity+json"}
    if signer is not None:
        headers.update(sign_request("GET", url, headers, None, signer.key_id,
                                    signer.private_pem, datetime.now(UTC)))  # fmt: skip
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status


async def test_members_only_group(
    live_server: LiveServer, database_url: str, tmp_path: Path
) -> None:
    await create_actor(
        live_server.pool, kind="Group", username="private", name="Private Circle",
        manually_approves_followers=True,
    )  # fmt: skip
    group_url = f"{live_server.base_url}/groups/private"
    env = cli_env(database_url, live_server.base_url)
    args = ("--data-dir", str(tmp_path))
    assert peerhaven("group", "set", "private", "--visibility", "members", *args,
                     env=env).returncode == 0  # fmt: skip
    mastodon = await Peer("localhost", software="mastodon").start()
    lemmy = await Peer("127.0.0.2", software="lemmy").start()
    outsider_server = await Peer("127.0.0.3").start()
    try:
        alice, carol = mastodon.add_actor("alice"), lemmy.add_actor("carol")
        outsider = outsider_server.add_actor("eve")
        for peer, member in ((mastodon, alice), (lemmy, carol)):
            await peer.post(f"{group_url}/inbox", peer.follow(member, group_url), actor=member)
        await live_server.run_workers()
        # The first member from a server with none yet needs a confirmation.
        first = peerhaven("group", "approve", "private", alice.actor_id, *args, env=env)
        assert first.returncode != 0 and "first member on localhost" in first.stderr
        for member in (alice, carol):
            done = peerhaven("group", "approve", "private", member.actor_id,
                             "--confirm-new-instance", *args, env=env)  # fmt: skip
            assert done.returncode == 0, done.stderr
        await live_server.run_workers()

        doc = followers_only_post(mastodon, alice, group_url)
        await mastodon.post(f"{group_url}/inbox", doc, actor=alice)
        await live_server.run_workers()

        # Mastodon gets the group's own followers-only copy, crediting the author.
        [create] = [r.body for r in mastodon.received if r.body["type"] == "Create"]
        copy = create["object"]
        assert copy["attributedTo"] == group_url and copy["to"] == [f"{group_url}/followers"]
        assert "only for us" in copy["content"] and doc["object"]["id"] in copy["content"]
        assert not [r for r in mastodon.received if r.body["type"] == "Announce"]
        # Group-aware software gets the FEP-1b12 form, followers-only.
        [wrapped] = [r.body for r in lemmy.received if r.body["type"] == "Announce"]
        assert wrapped["object"]["id"] == doc["id"]
        assert wrapped["to"] == [f"{group_url}/followers"]

        # The copy: a member's server 200, another server 404, unsigned 401.
        assert await fetch(copy["id"], alice) == 200
        assert await fetch(copy["id"], outsider) == 404
        assert await fetch(copy["id"], None) == 401
        async with aiohttp.ClientSession() as session:
            outbox = await (await session.get(
                f"{group_url}/outbox", headers={"Accept": "application/activity+json"}
            )).json()  # fmt: skip
        assert outbox["totalItems"] == 0 and "first" not in outbox  # nothing public

        # A moderator's removal deletes the group's copy on Mastodon.
        removed = peerhaven("group", "remove", "private", doc["object"]["id"], *args, env=env)
        assert removed.returncode == 0, removed.stderr
        await live_server.run_workers()
        [delete] = [r.body for r in mastodon.received if r.body["type"] == "Delete"]
        assert delete["actor"] == group_url and delete["object"]["id"] == copy["id"]
        assert await fetch(copy["id"], alice) == 410
    finally:
        await mastodon.close()
        await lemmy.close()
        await outsider_server.close()
