"""Crisis handling end to end (issue #8): a member's urgent post to a group is held, not
relayed; the member gets the group's direct message with crisis lines in their language
(queued with the hold, delivered on the first delivery step); the moderators' live stream
shows the alert; acknowledging records who and when (and the time to it is a metric);
without an acknowledgement it escalates to everyone, and the webhook hears of both without
the person's words or name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from federation.crisis_reply import country_code
from federation.local import create_actor
from federation.remote import RemoteError
from server.api.auth import hash_token
from storage import resources, tokens
from tests.conftest import LiveServer, start_live_server
from tests.federation.group_rig import API, Members, create, post, received, saying
from tests.peer import Peer, PeerActor

URGENT_ES = "Tengo un plan y esta noche voy a acabar con todo"
URGENT_EN = "I have a plan and I am going to end it tonight"
CONCERN_ES = "me siento muy triste y solo últimamente, nada tiene sentido"
LINES = [
    {"country": "ES", "name": "Teléfono de la Esperanza", "kind": "crisis_line",
     "phone": "717 003 717", "languages": ["es"], "source": "test", "checked_on": "2026-01-01"},
    {"country": "ES", "name": "Línea 024", "kind": "crisis_line", "phone": "024",
     "source": "test", "checked_on": "2026-01-01"},
    {"country": "DE", "name": "TelefonSeelsorge", "kind": "crisis_line",
     "phone": "0800 111 0 111", "languages": ["de"], "source": "test"},
    {"country": "INT", "name": "Find A Helpline", "kind": "crisis_line",
     "url": "https://findahelpline.com", "languages": ["en", "es", "de", "fr", "pt"]},
]  # fmt: skip


class Hook:
    """A webhook receiver on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.raw.append(body)
        self.bodies.append(json.loads(body))
        return web.Response(status=204)


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    receiver = Hook()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@pytest.fixture
async def live_server(database_url: str, tmp_path: Path, hook: Hook) -> AsyncIterator[LiveServer]:
    """The group's server in Spain (its default country), escalating after 1 minute, with a
    webhook; alert streams look for new alerts every 20 ms."""
    env = {
        "PEERHAVEN_DEFAULT_COUNTRY": "ES",
        "PEERHAVEN_CRISIS_ESCALATE_MINUTES": "1",
        "PEERHAVEN_CRISIS_WEBHOOK_URL": hook.url,
    }
    async with start_live_server(database_url, tmp_path / "data", env=env) as server:
        server.app.state.crisis_poll_seconds = 0.02
        await resources.add_many(server.pool, LINES)
        yield server


async def moderator_client(live_server: LiveServer, name: str) -> httpx.AsyncClient:
    staff = await create_actor(
        live_server.pool, kind="Person", username=name, name=name.title(), role="moderator"
    )
    await tokens.add(live_server.pool, hash_token(f"{name}-token"), staff.id)
    return httpx.AsyncClient(
        base_url=live_server.base_url + API, headers={"Authorization": f"Bearer {name}-token"}
    )


async def next_events(
    client: httpx.AsyncClient, count: int, **headers: str
) -> list[dict[str, Any]]:
    """Read ``count`` events from the alert stream (id, event, data)."""
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(10), client.stream("GET", "/crisis/stream", headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in resp.aiter_lines():
            if line.startswith(("id:", "event:", "data:")):
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
            elif not line and current.get("data"):
                found.append(current)
                current = {}
                if len(found) == count:
                    return found
    return found


async def test_an_urgent_post_is_held_answered_in_its_language_and_alerted(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient, hook: Hook
) -> None:
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    lemmy.received.clear()
    doc = saying(mastodon, alice, group_url, URGENT_ES)
    status, _ = await mastodon.post(f"{group_url}/inbox", doc, actor=alice)
    assert status == 202
    # One step of each worker: the message is queued with the hold and sent at once.
    assert await live_server.app.state.inbox_worker.run_once() == 1
    await live_server.app.state.delivery_engine.run_once()

    assert not lemmy.received  # not relayed to the other member
    [dm] = received(mastodon, "Create")
    assert not received(mastodon, "Announce")
    note = dm["object"]
    assert note["to"] == [alice.actor_id] and note["cc"] == []
    assert note["inReplyTo"] == doc["object"]["id"]
    assert note["attributedTo"] == group_url and "es" in note["contentMap"]
    assert "Gracias por contárnoslo" in note["content"]
    assert "Teléfono de la Esperanza" in note["content"] and "717 003 717" in note["content"]
    assert "código de dos letras" in note["content"]
    assert mastodon.received[0].verification.ok  # signed by the group, verified by the peer

    [event] = (await api.get("/crisis/events")).json()
    assert event["level"] == "urgent" and event["lang"] == "es"
    assert event["message_lang"] == "es" and event["message_country"] == "ES"
    assert event["arrived_at"] <= event["message_sent_at"]
    assert event["acknowledged_at"] is None and event["alerted_at"] is not None
    [message] = event["messages"]
    assert message["note"] == note["id"] and "recipient" not in message  # never named
    recipient = await live_server.pool.fetchval("SELECT recipient FROM crisis_messages")
    assert recipient == alice.actor_id
    assert message["lines"][0].startswith("Teléfono de la Esperanza")
    [item] = (await api.get("/review")).json()
    assert item["policy"] == "crisis" and event["review_item"] == item["id"]

    # Nobody is on duty: the alert is for everyone, and the stream shows it.
    [alert] = await next_events(api, 1)
    assert alert["event"] == "alert" and alert["data"]["event"] == event["id"]
    assert alert["data"]["level"] == "urgent" and alert["data"]["group"] == "circle"
    assert alert["data"]["audience"] == "all"

    # The webhook hears of it, without the person's words or name.
    assert await live_server.app.state.crisis_webhook.run_once() == 1
    [sent] = hook.bodies
    assert sent["type"] == "crisis.alert" and sent["event"] == event["id"]
    assert sent["level"] == "urgent" and sent["group"] == "circle"
    raw = hook.raw[0].decode()
    assert "alice" not in raw and "localhost" not in raw and "plan" not in raw

    answer = await api.post(f"/crisis/events/{event['id']}/ack")
    assert answer.status_code == 200, answer.text
    acked = answer.json()
    assert acked["acknowledged_by"].endswith("/users/ada") and acked["ack_seconds"] >= 0
    assert (await api.post(f"/crisis/events/{event['id']}/ack")).status_code == 409
    assert (await api.post("/crisis/events/999999/ack")).status_code == 404
    metrics = (await httpx.AsyncClient().get(f"{live_server.base_url}/metrics")).text
    assert "peerhaven_crisis_ack_seconds_count 1" in metrics
    assert "peerhaven_crisis_unacknowledged 0" in metrics
    summary = (await api.get("/moderation/summary")).json()
    assert summary["crisis_unacknowledged"] == 0 and summary["crisis_acknowledged"] == 1

    # An acknowledged event does not escalate, however late it is.
    escalator = live_server.app.state.crisis_escalator
    later = live_server.federation.clock() + timedelta(minutes=30)
    escalator.clock = lambda: later
    assert await escalator.run_once() == 0


async def test_an_alert_nobody_acknowledges_escalates_to_everyone(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient, hook: Hook
) -> None:
    mastodon, _, alice, _ = members
    bea = await moderator_client(live_server, "bea")
    cleo = await moderator_client(live_server, "cleo")
    try:
        assert (await bea.put("/crisis/duty", json={"on_duty": True})).json()["on_duty"]
        assert (await bea.put("/crisis/duty", json={"on_duty": "yes"})).status_code == 400
        await post(live_server, mastodon, group_url,
                   saying(mastodon, alice, group_url, URGENT_ES), alice)  # fmt: skip
        [first] = await next_events(bea, 1)
        assert first["data"]["audience"] == "on_duty"

        escalator = live_server.app.state.crisis_escalator
        now = live_server.federation.clock()
        escalator.clock = lambda: now + timedelta(seconds=30)
        assert await escalator.run_once() == 0  # within the minute: not yet
        escalator.clock = lambda: now + timedelta(minutes=2)
        assert await escalator.run_once() == 1
        assert await escalator.run_once() == 0  # once

        # cleo, off duty, did not get the first alert; she gets the escalation.
        [escalation] = await next_events(cleo, 1)
        assert escalation["event"] == "escalation"
        assert escalation["data"]["event"] == first["data"]["event"]
        # bea resumes her stream after the first alert and gets the escalation only.
        [resumed] = await next_events(bea, 1, **{"last-event-id": first["id"]})
        assert resumed["id"] == escalation["id"]

        webhook = live_server.app.state.crisis_webhook
        webhook.clock = escalator.clock
        assert await webhook.run_once() == 2  # the first alert and the escalation
        assert [b["type"] for b in hook.bodies] == ["crisis.alert", "crisis.escalation"]
        [event] = (await api.get("/crisis/events?open=true")).json()
        assert event["escalated_at"] is not None
        ack = (await cleo.post(f"/crisis/events/{event['id']}/ack")).json()
        assert ack["acknowledged_by"].endswith("/users/cleo")
        assert (await api.get("/crisis/events?open=true")).json() == []
    finally:
        await bea.aclose()
        await cleo.aclose()


async def test_concern_is_held_and_messaged_only_when_the_group_says_so(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    await post(live_server, mastodon, group_url,
               saying(mastodon, alice, group_url, CONCERN_ES), alice)  # fmt: skip
    assert not received(mastodon, "Create") and not received(lemmy, "Announce")
    [event] = (await api.get("/crisis/events")).json()
    assert event["level"] == "concern" and event["message_sent_at"] is None
    assert [i["policy"] for i in (await api.get("/review")).json()] == ["crisis"]

    bad = await api.put("/groups/circle/crisis", json={"country": "Spain"})
    assert bad.status_code == 400 and "country" in bad.json()["fields"]
    answer = await api.put("/groups/circle/crisis", json={"concern_message": True, "country": "de"})
    assert answer.json() == {"concern_message": True, "country": "DE"}
    await post(live_server, mastodon, group_url,
               saying(mastodon, alice, group_url, CONCERN_ES + " de verdad"), alice)  # fmt: skip
    [dm] = received(mastodon, "Create")
    # The group's country (DE) has no Spanish line: the international directory.
    assert "Find A Helpline" in dm["object"]["content"]
    assert "Gracias" in dm["object"]["content"]


async def test_a_replayed_post_is_one_event_and_one_message(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    mastodon.received.clear()
    doc = saying(mastodon, alice, group_url, "I have a plan and I am going to end it tonight")
    await post(live_server, mastodon, group_url, doc, alice)
    # The same activity again (another id for the delivery: its origin retried).
    await live_server.pool.execute(
        "UPDATE inbox_activities SET state = 'queued', locked_until = NULL"
    )
    await live_server.run_workers()
    [dm] = received(mastodon, "Create")
    assert "Thank you for telling us" in dm["object"]["content"]
    assert len((await api.get("/crisis/events")).json()) == 1


async def test_the_stream_refuses_who_is_not_staff(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url + API) as anonymous:
        answer = await anonymous.get("/crisis/stream")
        assert answer.status_code == 401
        assert (await anonymous.get("/crisis/events")).status_code == 401


def direct_reply(
    peer: Peer, actor: PeerActor, group_url: str, in_reply_to: str | None, text: str
) -> dict[str, Any]:
    """A Mastodon direct message to the group alone (in the thread of the group's note)."""
    note = {
        "id": peer.new_id(actor, "Note"), "type": "Note", "attributedTo": actor.actor_id,
        "content": f'<p><span class="h-card"><a href="{group_url}">@circle</a></span> {text}</p>',
        "to": [group_url], "cc": [], "tag": [
            {"type": "Mention", "href": group_url, "name": "@circle"}],
    }  # fmt: skip
    if in_reply_to is not None:
        note["inReplyTo"] = in_reply_to
    return {
        "@context": "https://www.w3.org/ns/activitystreams", "id": peer.new_id(actor, "Create"),
        "type": "Create", "actor": actor.actor_id, "to": [group_url], "cc": [], "object": note,
    }  # fmt: skip


async def test_answering_with_a_country_code_brings_that_countrys_lines(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    mastodon.received.clear()
    await post(live_server, mastodon, group_url,
               saying(mastodon, alice, group_url, URGENT_ES), alice)  # fmt: skip
    [first] = received(mastodon, "Create")
    mastodon.received.clear()
    answer = direct_reply(mastodon, alice, group_url, first["object"]["id"], "DE")
    await post(live_server, mastodon, group_url, answer, alice)
    [dm] = received(mastodon, "Create")
    assert dm["object"]["inReplyTo"] == answer["object"]["id"]
    # Germany's line (it answers in German only: asked for, so given), in Spanish.
    assert "TelefonSeelsorge" in dm["object"]["content"]
    assert "Gracias" in dm["object"]["content"] and not received(mastodon, "Reject")
    [event] = (await api.get("/crisis/events")).json()
    assert [m["country"] for m in event["messages"]] == ["ES", "DE"]
    assert event["messages"][1]["in_reply_to"] == answer["object"]["id"]

    # The same answer again is answered once; another person's code is not theirs to ask.
    mastodon.received.clear()
    await live_server.pool.execute(
        "UPDATE inbox_activities SET state = 'queued', locked_until = NULL WHERE activity_id = $1",
        answer["id"],
    )
    await live_server.run_workers()
    assert not received(mastodon, "Create")
    bob = mastodon.add_actor("bob")
    await post(live_server, mastodon, group_url, mastodon.follow(bob, group_url), bob)
    mastodon.received.clear()
    other = direct_reply(mastodon, bob, group_url, first["object"]["id"], "FR")
    await post(live_server, mastodon, group_url, other, bob)
    assert all("crisis" not in str(c) for c in received(mastodon, "Create"))
    assert len((await api.get("/crisis/events")).json()[0]["messages"]) == 2


@pytest.mark.parametrize("text, code", [
    ("DE", "DE"), ("DE.", "DE"), ("country: br", "BR"), ("País: mx", "MX"), ("Spain", None),
    ("I am not ok", None), ("ok", None), ("no", None), ("ES please", None), ("NO", None),
    ("SI", None), ("country: NO", "NO"),
])  # fmt: skip
def test_country_codes_are_read_from_short_answers(text: str, code: str | None) -> None:
    assert country_code(text) == code


async def test_an_anonymous_message_in_crisis_is_answered_without_naming_its_writer(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    lemmy.received.clear()
    secret = direct_reply(mastodon, alice, group_url, None, "!anon " + URGENT_ES)
    await post(live_server, mastodon, group_url, secret, alice)
    # The writer gets the crisis message at once; nothing reaches anyone else.
    [dm] = received(mastodon, "Create")
    assert dm["object"]["to"] == [alice.actor_id] and "Gracias" in dm["object"]["content"]
    assert not lemmy.received
    # What moderators watching crisis alerts see does not name the writer.
    [alert] = await next_events(api, 1)
    [event] = (await api.get("/crisis/events")).json()
    for shown in (json.dumps(alert), json.dumps({k: v for k, v in event.items()
                                                  if k != "messages"})):  # fmt: skip
        assert "alice" not in shown and "localhost" not in shown
    # It is not in the review queue (every staff account reads it): it is a sealed
    # submission at once, with the detector's mark for the group's moderators.
    assert (await api.get("/review")).json() == []
    [submission] = (await api.get("/anonymous?group=circle")).json()
    assert URGENT_ES in json.dumps(submission, ensure_ascii=False)
    assert submission["mark"].startswith("crisis: urgent")
    assert "alice" not in json.dumps(submission)
    entries = json.dumps((await api.get("/audit")).json())
    assert "policy_hold" in entries and "alice" not in entries
    assert not lemmy.received  # not published


async def test_any_other_answer_is_kept_for_the_moderators_never_relayed_nor_refused(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    lemmy.received.clear()
    await post(live_server, mastodon, group_url,
               saying(mastodon, alice, group_url, URGENT_ES), alice)  # fmt: skip
    [first] = received(mastodon, "Create")
    mastodon.received.clear()
    answer = direct_reply(mastodon, alice, group_url, first["object"]["id"], "gracias, llamaré")
    await post(live_server, mastodon, group_url, answer, alice)
    assert not mastodon.received and not lemmy.received  # no refusal, nothing relayed
    [event] = (await api.get("/crisis/events")).json()
    assert [r["content"] for r in event["replies"]] == ["gracias, llamaré"]
    kinds = [e["event"] for e in await next_events(api, 2)]
    assert kinds == ["alert", "reply"]


async def test_an_edit_into_crisis_is_held_and_a_post_for_no_group_is_not_read(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    doc = saying(mastodon, alice, group_url, "hello everyone")
    await post(live_server, mastodon, group_url, doc, alice)
    lemmy.received.clear()
    mastodon.received.clear()
    edit = {
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Update",
        "id": mastodon.new_id(alice, "Update"), "actor": alice.actor_id,
        "to": doc["to"], "cc": doc["cc"],
        "object": {**doc["object"], "content": f"<p>{URGENT_EN}</p>"},
    }  # fmt: skip
    await post(live_server, mastodon, group_url, edit, alice)
    assert not lemmy.received  # the edit is not forwarded
    [dm] = received(mastodon, "Create")
    assert "Thank you for telling us" in dm["object"]["content"]
    assert [i["policy"] for i in (await api.get("/review")).json()] == ["crisis"]
    # A post for none of our groups (a reply sent to our inbox) is not read by the detector.
    lone = create(mastodon, alice, group_url, mention=False)
    lone["object"]["content"] = f"<p>{URGENT_EN}</p>"
    lone["cc"] = lone["object"]["cc"] = []
    await post(live_server, mastodon, group_url, lone, alice)
    assert len((await api.get("/crisis/events")).json()) == 1


async def test_an_unreachable_author_still_gets_the_message_through_the_known_inbox(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    # The cached actor is stale and its server does not answer the refetch.
    await live_server.pool.execute(
        "UPDATE remote_actors SET fetched_at = now() - interval '30 days'"
    )
    live_server.federation.directory.get_actor = _unreachable  # type: ignore[method-assign]
    mastodon.received.clear()
    await post(live_server, mastodon, group_url,
               saying(mastodon, alice, group_url, URGENT_ES), alice)  # fmt: skip
    [dm] = received(mastodon, "Create")
    assert "Gracias" in dm["object"]["content"]
    [event] = (await api.get("/crisis/events")).json()
    assert event["message_error"] is None and event["message_sent_at"] is not None


async def _unreachable(uri: str, *, refresh: bool = False) -> Any:
    raise RemoteError("fetch_failed", "the server did not answer")
