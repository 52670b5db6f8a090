"""Instance-wide actions and what they enforce: a suspended account is refused and loses its
follows, a limited one is held for review and needs approval to follow, a silenced domain's
posts are held, a suspended domain is refused before any key fetch; lifting stops it."""

from __future__ import annotations

import json

import httpx

from tests.conftest import LiveServer
from tests.federation.group_rig import Members, post, received, saying


async def state_of(live_server: LiveServer, activity_id: str) -> tuple[str, str]:
    row = await live_server.pool.fetchrow(
        "SELECT state, moderation FROM inbox_activities WHERE activity_id = $1", activity_id
    )
    assert row is not None
    return row["state"], json.loads(row["moderation"])["reason"]


async def test_a_suspended_account_is_refused_until_lifted(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    answer = await api.post("/accounts", json={"actor": alice.actor_id, "action": "suspend"})
    assert answer.status_code == 200 and answer.json()["effects"] == ["1 follows ended"]
    follows = "SELECT count(*) FROM follows WHERE follower_uri = $1"
    assert await live_server.pool.fetchval(follows, alice.actor_id) == 0
    mastodon.received.clear()
    doc = saying(mastodon, alice, group_url, "hello again")
    await post(live_server, mastodon, group_url, doc, alice)
    assert await state_of(live_server, doc["id"]) == (
        "dropped", "the account is suspended on this instance",
    )  # fmt: skip
    follow = mastodon.follow(alice, group_url)
    await post(live_server, mastodon, group_url, follow, alice)
    assert await live_server.pool.fetchval(follows, alice.actor_id) == 0
    assert not mastodon.received

    lifted = await api.post("/accounts", json={"actor": alice.actor_id, "action": "lift"})
    assert lifted.json()["lifted"] == "suspend"
    again = await api.post("/accounts", json={"actor": alice.actor_id, "action": "lift"})
    assert again.status_code == 409
    await post(live_server, mastodon, group_url, mastodon.follow(alice, group_url), alice)
    assert await live_server.pool.fetchval(follows, alice.actor_id) == 1


async def test_a_limited_account_is_held_and_must_be_approved_to_follow(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    newcomer = mastodon.add_actor("newcomer")
    for who in (alice, newcomer):
        answer = await api.post("/accounts", json={"actor": who.actor_id, "action": "limit"})
        assert answer.status_code == 200
    doc = saying(mastodon, alice, group_url, "hi all")
    await post(live_server, mastodon, group_url, doc, alice)
    assert await state_of(live_server, doc["id"]) == (
        "held", "the account is limited on this instance",
    )  # fmt: skip
    mastodon.received.clear()
    await post(live_server, mastodon, group_url, mastodon.follow(newcomer, group_url), newcomer)
    assert not received(mastodon, "Accept")  # waits for a moderator
    pending = (await api.get("/groups/circle/requests")).json()
    assert [p["actor"] for p in pending] == [newcomer.actor_id]


async def test_a_silenced_domain_is_held_and_a_suspended_one_refused_at_the_door(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, carol = members
    silence = {"domain": lemmy.host, "action": "block", "severity": "silence"}
    assert (await api.post("/domains", json=silence)).status_code == 200
    doc = saying(lemmy, carol, group_url, "hello")
    await post(live_server, lemmy, group_url, doc, carol)
    state, reason = await state_of(live_server, doc["id"])
    assert state == "held" and "limited" in reason

    suspend = {"domain": mastodon.host.upper(), "action": "block", "reason": "tip from ada",
               "public_comment": "spam waves"}  # fmt: skip
    answer = await api.post("/domains", json=suspend)
    assert answer.json()["domain"] == "localhost"  # normalized
    assert answer.json()["effects"]["follows"] == 1  # alice's membership ended
    status, refused = await mastodon.post(
        f"{group_url}/inbox", saying(mastodon, alice, group_url, "hi"), actor=alice
    )
    assert (status, refused["error"]) == (403, "domain_blocked")

    hidden = {"domain": "slurs.example", "action": "block", "obfuscate": True}
    assert (await api.post("/domains", json=hidden)).status_code == 200
    page = await api.get(f"{live_server.base_url}/about/moderation")
    assert "localhost" in page.text and "spam waves" in page.text
    assert "tip from ada" not in page.text  # the private reason stays private
    assert "slurs.example" not in page.text and "slur*.****ple" in page.text
    for bad in ("%", "a b.example", "x/y", "-x.example", ""):
        refused = await api.post("/domains", json={"domain": bad, "action": "block"})
        assert refused.status_code == 400, bad
    unblock = {"domain": "localhost", "action": "unblock"}
    assert (await api.post("/domains", json=unblock)).status_code == 200
    status, _ = await mastodon.post(
        f"{group_url}/inbox", saying(mastodon, alice, group_url, "back"), actor=alice
    )
    assert status == 202
