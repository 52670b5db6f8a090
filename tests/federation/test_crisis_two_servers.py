"""Crisis handling between two PeerHaven servers, each with its own database (issue #8):
bob on B (127.0.0.2) is a member of A's group and writes an urgent post to it in Spanish.
A holds it (nothing relayed), its moderators' stream shows the alert, and bob's server
receives the group's direct message in Spanish with the instance's crisis line, signed by
the group and verified by B."""

from __future__ import annotations

import json

import httpx

from federation import posting
from federation.following import follow_remote
from federation.local import create_actor
from storage import resources
from tests.conftest import LiveServer
from tests.federation.test_crisis_response import LINES, URGENT_ES, next_events


async def both(a: LiveServer, b: LiveServer) -> None:
    for _ in range(3):
        await b.run_workers()
        await a.run_workers()


async def test_an_urgent_post_from_another_peerhaven_is_held_answered_and_alerted(
    live_server: LiveServer, server_b: LiveServer, group_url: str, api: httpx.AsyncClient
) -> None:
    live_server.federation.moderation.default_country = "ES"
    await resources.add_many(live_server.pool, LINES)
    bob = await create_actor(server_b.pool, kind="Person", username="bob", name="Bob")
    bob_uri = f"{server_b.base_url}/users/bob"
    await follow_remote(server_b.federation, bob, group_url)
    await both(live_server, server_b)

    note = await posting.publish(server_b.federation, bob, URGENT_ES, group_url)
    await both(live_server, server_b)

    # A held it: nothing about bob's post went out but the message to bob.
    held = await live_server.pool.fetchrow(
        "SELECT state, moderation FROM inbox_activities WHERE payload->'object'->>'id' = $1",
        note["id"],
    )
    assert held["state"] == "held" and json.loads(held["moderation"])["policy"] == "crisis"
    sent = [json.loads(r["body"]) for r in await live_server.pool.fetch(
        "SELECT body FROM outbound_activities ORDER BY seq")]  # fmt: skip
    assert [a["type"] for a in sent if a["actor"] == group_url] == ["Accept", "Create"]

    # B received the group's message, verified it, and stored it for bob.
    row = await server_b.pool.fetchrow(
        "SELECT payload, state FROM inbox_activities WHERE actor_uri = $1 "
        "AND payload->>'type' = 'Create'",
        group_url,
    )
    assert row is not None and row["state"] == "done"
    message = json.loads(row["payload"])["object"]
    assert message["to"] == [bob_uri] and message["inReplyTo"] == note["id"]
    assert "Gracias por contárnoslo" in message["content"]
    assert "Teléfono de la Esperanza" in message["content"]

    [alert] = await next_events(api, 1)
    assert alert["data"]["level"] == "urgent" and alert["data"]["group"] == "circle"
    [event] = (await api.get("/crisis/events")).json()
    assert event["messages"][0]["lang"] == "es"
    assert await live_server.pool.fetchval("SELECT recipient FROM crisis_messages") == bob_uri
    ack = await api.post(f"/crisis/events/{event['id']}/ack")
    assert ack.status_code == 200 and ack.json()["acknowledged_at"] is not None
