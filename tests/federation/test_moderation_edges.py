"""The moderation pipeline's edges, each found by a review: what an approval must still
refuse or keep, held posts their author deletes, edits, reports that mention banned words,
and bad input to the admin API."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from moderation.policies.config import PolicyFileError, build_chain, parse_file
from tests.conftest import LiveServer
from tests.federation.group_rig import Members, post, received, saying, set_policies

CW_THEN_HOLD = """
[[policy]]
type = "require_content_warning"
topics = ["grief"]
action = "add"
warning = "Grief"
[[policy]]
type = "keyword"
words = ["pills"]
action = "hold"
"""


async def only_item(api: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    [item] = (await api.get("/review", params=params)).json()
    return item


async def decide(api: httpx.AsyncClient, item: dict[str, Any], decision: str) -> httpx.Response:
    return await api.post(f"/review/{item['id']}", json={"decision": decision})


async def test_an_approval_does_not_outlive_a_suspension(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    _, lemmy, _, carol = members
    await api.post("/accounts", json={"actor": carol.actor_id, "action": "limit"})
    held = saying(lemmy, carol, group_url, "hello")
    await post(live_server, lemmy, group_url, held, carol)
    item = await only_item(api)
    await api.post("/accounts", json={"actor": carol.actor_id, "action": "suspend"})
    lemmy.received.clear()
    assert (await decide(api, item, "approve")).status_code == 200
    await live_server.run_workers()
    assert not received(lemmy, "Announce")
    state = await live_server.pool.fetchval(
        "SELECT state FROM inbox_activities WHERE activity_id = $1", held["id"]
    )
    assert state == "dropped"


async def test_what_was_queued_before_a_domain_suspension_is_refused(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, _, carol = members
    doc = saying(lemmy, carol, group_url, "queued before the block")
    status, _ = await lemmy.post(f"{group_url}/inbox", doc, actor=carol)
    assert status == 202  # stored, not yet handled
    await api.post("/domains", json={"domain": lemmy.host, "action": "block"})
    lemmy.received.clear()
    mastodon.received.clear()
    await live_server.run_workers()
    assert not received(mastodon, "Announce")
    moderation = await live_server.pool.fetchval(
        "SELECT moderation FROM inbox_activities WHERE activity_id = $1", doc["id"]
    )
    assert json.loads(moderation)["action"] == "reject"


async def test_an_approved_post_keeps_the_instances_rewrites(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    await set_policies(api, CW_THEN_HOLD)
    await post(live_server, mastodon, group_url, saying(mastodon, alice, group_url,
                                                        "grief and pills"), alice)  # fmt: skip
    mastodon.received.clear()
    assert (await decide(api, await only_item(api), "approve")).status_code == 200
    await live_server.run_workers()
    assert not received(mastodon, "Announce")  # a boost would show it without the warning
    [copy_] = [c["object"] for c in received(mastodon, "Create")]
    assert copy_["summary"] == "Grief" and copy_["attributedTo"] == group_url


async def test_a_group_approval_keeps_the_instances_rewrites(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    await set_policies(api, CW_THEN_HOLD.split('[[policy]]\ntype = "keyword"')[0])
    tables = [{"type": "keyword", "words": ["diet"], "action": "hold"}]
    await api.put("/groups/circle/policies", json={"policies": tables})
    await post(live_server, mastodon, group_url, saying(mastodon, alice, group_url,
                                                        "grief and my diet"), alice)  # fmt: skip
    mastodon.received.clear()
    assert (await decide(api, await only_item(api), "approve")).status_code == 200
    await live_server.run_workers()
    assert not received(mastodon, "Announce")
    [copy_] = [c["object"] for c in received(mastodon, "Create")]
    assert copy_["summary"] == "Grief"


@pytest.mark.parametrize("held_by", ["instance", "group"])
async def test_a_held_post_its_author_deletes_is_withdrawn(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient,
    held_by: str,
) -> None:  # fmt: skip
    mastodon, lemmy, alice, _ = members
    if held_by == "instance":
        await set_policies(api, '[[policy]]\ntype = "keyword"\nwords = ["pills"]\n')
    else:
        tables = [{"type": "keyword", "words": ["pills"], "action": "hold"}]
        await api.put("/groups/circle/policies", json={"policies": tables})
    doc = saying(mastodon, alice, group_url, "pills")
    await post(live_server, mastodon, group_url, doc, alice)
    item = await only_item(api)
    delete = {"@context": doc["@context"], "id": mastodon.new_id(alice, "Delete"),
              "type": "Delete", "actor": alice.actor_id,
              "object": {"id": doc["object"]["id"], "type": "Tombstone"}}  # fmt: skip
    await post(live_server, mastodon, group_url, delete, alice)
    assert (await api.get("/review")).json() == []  # withdrawn
    answer = await decide(api, item, "approve")
    assert answer.status_code == 409
    await live_server.run_workers()
    assert not received(lemmy, "Announce")


async def test_an_edit_passes_the_groups_policies_and_the_instances(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    tables = [{"type": "keyword", "words": ["casino"], "action": "reject"}]
    await api.put("/groups/circle/policies", json={"policies": tables})
    doc = saying(mastodon, alice, group_url, "an ordinary post")
    await post(live_server, mastodon, group_url, doc, alice)
    assert len(received(lemmy, "Announce")) == 1
    lemmy.received.clear()
    edited = copy.deepcopy(doc["object"])
    edited["content"] = "<p>casino casino</p>"
    update = {"@context": doc["@context"], "id": mastodon.new_id(alice, "Update"),
              "type": "Update", "actor": alice.actor_id, "object": edited}  # fmt: skip
    await post(live_server, mastodon, group_url, update, alice)
    assert not received(lemmy, "Announce")  # not forwarded to the group's members

    # Sent by reference, the edit is fetched and read by the instance's policies.
    await set_policies(api, '[[policy]]\ntype = "keyword"\nwords = ["lottery"]\n'
                            'action = "reject"\n')  # fmt: skip
    edited["content"] = "<p>lottery time</p>"
    mastodon.publish(edited)
    by_reference = {**update, "id": mastodon.new_id(alice, "Update"), "object": edited["id"]}
    await post(live_server, mastodon, group_url, by_reference, alice)
    row = await live_server.pool.fetchrow(
        "SELECT state, moderation FROM inbox_activities WHERE activity_id = $1",
        by_reference["id"],
    )
    assert row["state"] == "dropped" and json.loads(row["moderation"])["action"] == "reject"


async def test_a_reports_words_are_not_screened_as_a_post(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon = members[0]
    await set_policies(api, '[[policy]]\ntype = "keyword"\nwords = ["casino"]\n'
                            'action = "reject"\n')  # fmt: skip
    moderator = mastodon.add_actor("actor")
    flag = {"@context": "https://www.w3.org/ns/activitystreams",
            "id": mastodon.new_id(moderator, "Flag"), "type": "Flag",
            "actor": moderator.actor_id, "object": [group_url],
            "content": "this group is full of casino spam"}  # fmt: skip
    await post(live_server, mastodon, group_url, flag, moderator)
    assert len((await api.get("/reports")).json()) == 1


async def test_a_group_cannot_use_instance_only_rules_or_unusable_numbers(
    group_url: str, api: httpx.AsyncClient
) -> None:
    for tables in (
        [{"type": "domain", "followers_only": ["x.example"]}],
        [{"type": "object_age", "max_age_days": 1e10}],
        [{"type": "link_spam", "min_account_age_days": 10**30}],
    ):
        answer = await api.put("/groups/circle/policies", json={"policies": tables})
        assert answer.status_code == 400, tables
    for value in ("nan", "inf", "1e400"):
        with pytest.raises(PolicyFileError, match="between"):
            parse_file(f'[[policy]]\ntype = "object_age"\nmax_age_days = {value}\n')
    with pytest.raises(PolicyFileError, match="no effect"):
        build_chain([{"type": "domain", "avatar_removal": ["x.example"]}], "group")


async def test_bad_requests_are_refused_not_crashed(
    live_server: LiveServer, group_url: str, api: httpx.AsyncClient
) -> None:
    for path in ("/review/99999999999999999999", "/review/²", "/reports/99999999999999999999"):
        answer = await api.post(path, json={"decision": "approve", "action": "dismiss"})
        assert answer.status_code == 404, (path, answer.text)
    empty = await api.post("/reports", json={"objects": [], "content": "x"})
    assert empty.status_code == 400
    nul = await api.get("/audit", params={"target": "a\x00b"})
    assert nul.status_code == 400
    filed = await api.post("/reports", json={"objects": [group_url], "content": "x"})
    assert (await api.get("/groups/nope/policies")).status_code == 404
    assert (await api.get("/review", params={"group": "nope"})).status_code == 404
    report = filed.json()["id"]
    assert (await api.post(f"/reports/{report}", json={"action": "dismiss"})).status_code == 200
    again = await api.post(f"/reports/{report}", json={"action": "resolve"})
    assert again.status_code == 409
