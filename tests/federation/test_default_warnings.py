"""A new group's default content warnings on a live server with a Mastodon member: a post
mentioning self-harm without a warning is shared with "Mentions: self-harm" added; a group
that prefers it holds such posts; posts with a warning, or on other topics, pass untouched;
groups created before the default existed keep their (empty) policies."""

from __future__ import annotations

import httpx

from federation.local import create_actor
from tests.conftest import LiveServer
from tests.federation.group_rig import post, received, saying
from tests.federation.test_moderation import inbox_row
from tests.peer import Peer, PeerActor

# Mentions self-harm; the crisis detector (which runs first) finds nothing in it.
ABOUT_SELF_HARM = "Our group talk about self-harm recovery is on Tuesday"


async def new_group(
    live_server: LiveServer, api: httpx.AsyncClient, mastodon: Peer, slug: str, **extra: str
) -> tuple[str, PeerActor]:
    """A group made through the admin API, as an admin makes one, with alice a member."""
    answer = await api.post("/groups", json={"slug": slug, "name": slug.title(), **extra})
    assert answer.status_code == 201, answer.text
    url = answer.json()["url"]
    alice = mastodon.actors.get("alice") or mastodon.add_actor("alice")
    await post(live_server, mastodon, url, mastodon.follow(alice, url), alice)
    mastodon.received.clear()
    return url, alice


async def test_a_new_group_adds_a_warning_naming_the_topic(
    live_server: LiveServer, servers: tuple[Peer, Peer], api: httpx.AsyncClient
) -> None:
    mastodon, _ = servers
    url, alice = await new_group(live_server, api, mastodon, "haven")
    [table] = (await api.get("/groups/haven/policies")).json()["policies"]
    assert (table["type"], table["action"]) == ("require_content_warning", "add")
    assert set(table["topics"]) == {"suicide", "self-harm", "eating disorders", "abuse"}

    doc = saying(mastodon, alice, url, ABOUT_SELF_HARM)
    await post(live_server, mastodon, url, doc, alice)
    # Not boosted (a boost would show it without the warning): the group's own copy.
    assert not received(mastodon, "Announce")
    [copy] = [c["object"] for c in received(mastodon, "Create")]
    assert copy["summary"] == "Mentions: self-harm" and copy["sensitive"] is True
    assert "self-harm recovery" in copy["content"] and copy["attributedTo"] == url
    row = await inbox_row(live_server, doc["id"])
    assert row["state"] == "done"

    # Already behind a warning: boosted as it is.
    mastodon.received.clear()
    warned = saying(mastodon, alice, url, ABOUT_SELF_HARM)
    warned["object"]["summary"] = "recovery talk"
    await post(live_server, mastodon, url, warned, alice)
    assert [a["object"] for a in received(mastodon, "Announce")] == [warned["object"]["id"]]
    assert not received(mastodon, "Create")

    # Another topic: boosted as it is.
    mastodon.received.clear()
    calm = saying(mastodon, alice, url, "had a good day at the allotment")
    await post(live_server, mastodon, url, calm, alice)
    assert [a["object"] for a in received(mastodon, "Announce")] == [calm["object"]["id"]]
    assert not received(mastodon, "Create")
    assert (await api.get("/review")).json() == []


async def test_a_group_that_prefers_it_holds_such_posts(
    live_server: LiveServer, servers: tuple[Peer, Peer], api: httpx.AsyncClient
) -> None:
    mastodon, _ = servers
    url, alice = await new_group(live_server, api, mastodon, "quiet", content_warnings="hold")
    doc = saying(mastodon, alice, url, ABOUT_SELF_HARM)
    await post(live_server, mastodon, url, doc, alice)
    assert not mastodon.received  # not relayed, nobody told anything yet
    [item] = (await api.get("/review", params={"group": "quiet"})).json()
    assert item["activity"] == doc["id"] and item["policy"] == "sensitive topics"
    assert "self-harm" in item["reason"]

    # A group made with the default switches to holding by editing its policy.
    url2, _ = await new_group(live_server, api, mastodon, "switch")
    [table] = (await api.get("/groups/switch/policies")).json()["policies"]
    answer = await api.put(
        "/groups/switch/policies", json={"policies": [{**table, "action": "hold"}]}
    )
    assert answer.status_code == 200, answer.text
    second = saying(mastodon, alice, url2, "a film about anorexia")
    await post(live_server, mastodon, url2, second, alice)
    assert not mastodon.received
    held = (await api.get("/review", params={"group": "switch"})).json()
    assert [i["activity"] for i in held] == [second["id"]]


async def test_bad_content_warning_choices_are_refused_and_old_groups_untouched(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    refused = await api.post(
        "/groups", json={"slug": "x", "name": "X", "content_warnings": "delete"}
    )
    assert refused.status_code == 400 and "content_warnings" in refused.json()["fields"]
    assert (await api.get("/groups")).json() == []
    # A group that existed before (made without the creation path) has no policies added.
    await create_actor(live_server.pool, kind="Group", username="older", name="Older")
    assert (await api.get("/groups/older/policies")).json()["policies"] == []
