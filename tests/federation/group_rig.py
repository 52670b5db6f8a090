"""Helpers of the group tests: post signed activities and step the workers; a Create of a
note for a group. (Their fixtures, ``group_url``, ``servers`` and ``members``, are in
``conftest.py``.)"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LiveServer
from tests.peer import Peer, PeerActor

AS = "https://www.w3.org/ns/activitystreams"
API = "/api/v1/admin"


async def post(
    live_server: LiveServer, peer: Peer, url: str, doc: dict[str, Any], actor: PeerActor
) -> None:
    status, answer = await peer.post(f"{url}/inbox", doc, actor=actor)
    assert status == 202, answer
    await live_server.run_workers()


def create(
    peer: Peer,
    actor: PeerActor,
    group_url: str,
    *,
    mention: bool = True,
    reply_to: str | None = None,
) -> dict[str, Any]:
    note: dict[str, Any] = {
        "id": peer.new_id(actor, "Note"), "type": "Note", "attributedTo": actor.actor_id,
        "content": "<p>hello circle</p>", "to": [AS + "#Public"], "cc": [],
    }  # fmt: skip
    if mention:
        note["tag"] = {"type": "Mention", "href": group_url, "name": "@circle"}
        note["cc"] = [group_url]
    if reply_to:
        note["inReplyTo"] = reply_to
    return {
        "@context": AS, "id": peer.new_id(actor, "Create"), "type": "Create",
        "actor": actor.actor_id, "to": note["to"], "cc": note["cc"], "object": note,
    }  # fmt: skip


Members = tuple[Peer, Peer, PeerActor, PeerActor]


async def set_policies(api: httpx.AsyncClient, text: str) -> dict[str, Any]:
    answer = await api.put("/moderation/policies", json={"text": text})
    assert answer.status_code == 200, answer.text
    return answer.json()


def saying(peer: Peer, actor: PeerActor, group_url: str, text: str) -> dict[str, Any]:
    doc = create(peer, actor, group_url)
    doc["object"]["content"] = f"<p>{text}</p>"
    return doc


def received(peer: Peer, kind: str) -> list[dict[str, Any]]:
    return [r.body for r in peer.received if r.body["type"] == kind]
