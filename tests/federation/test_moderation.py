"""The moderation pipeline on a live server with real peers: posts held by the instance's or
a group's policies and then approved (relayed) or declined (the author gets the refusal),
rejects, shadow mode, a group that tries to be looser, hot reload through the API."""

from __future__ import annotations

import json
from typing import Any

import httpx

from federation.local import create_actor
from server.api.auth import hash_token
from storage import tokens
from tests.conftest import LiveServer
from tests.federation.group_rig import Members, post, received, saying, set_policies


async def inbox_row(live_server: LiveServer, activity_id: str) -> dict[str, Any]:
    row = await live_server.pool.fetchrow(
        "SELECT state, result, moderation FROM inbox_activities WHERE activity_id = $1",
        activity_id,
    )
    assert row is not None
    return {**dict(row), "moderation": json.loads(row["moderation"] or "null")}


HOLD_WORDS = """
[[policy]]
type = "keyword"
name = "review words"
words = ["pills"]
action = "hold"
"""


async def test_a_held_post_is_relayed_once_a_moderator_approves_it(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    await set_policies(api, HOLD_WORDS)
    mastodon.received.clear()
    lemmy.received.clear()
    doc = saying(mastodon, alice, group_url, "where do I get pills")
    await post(live_server, mastodon, group_url, doc, alice)

    # Held: stored with its decision, nothing relayed, nobody told anything yet.
    row = await inbox_row(live_server, doc["id"])
    assert row["state"] == "held"
    assert row["moderation"]["action"] == "hold"
    assert row["moderation"]["policy"] == "review words"
    assert not mastodon.received and not lemmy.received
    queue = (await api.get("/review")).json()
    assert len(queue) == 1
    item = queue[0]
    assert (item["activity"], item["policy"]) == (doc["id"], "review words")
    assert "pills" in item["reason"] and "pills" in item["content"]
    by_group = (await api.get("/review", params={"group": "circle"})).json()
    assert [i["id"] for i in by_group] == [item["id"]]  # the group's moderators see it too

    answer = await api.post(f"/review/{item['id']}", json={"decision": "approve", "note": "ok"})
    assert answer.status_code == 200, answer.text
    await live_server.run_workers()

    # Relayed as if just accepted: the Mastodon member gets the boost, Lemmy the FEP-1b12 form.
    boosts = received(mastodon, "Announce")
    assert [b["object"] for b in boosts] == [doc["object"]["id"]]
    wrapped = received(lemmy, "Announce")
    assert len(wrapped) == 1 and wrapped[0]["object"]["id"] == doc["id"]
    assert (await inbox_row(live_server, doc["id"]))["state"] == "done"
    assert (await api.get("/review")).json() == []
    again = await api.post(f"/review/{item['id']}", json={"decision": "decline"})
    assert again.status_code == 409  # decided once
    actions = [e["action"] for e in (await api.get("/audit", params={"target": doc["id"]})).json()]
    assert actions == ["review_approve", "policy_hold"]


async def test_a_declined_post_gets_the_author_the_groups_refusal(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, carol = members
    tables = [{"type": "keyword", "words": ["diet"], "action": "hold"}]
    answer = await api.put("/groups/circle/policies", json={"policies": tables})
    assert answer.status_code == 200, answer.text
    mastodon.received.clear()
    lemmy.received.clear()
    doc = saying(mastodon, alice, group_url, "my diet this week")
    await post(live_server, mastodon, group_url, doc, alice)
    assert (await inbox_row(live_server, doc["id"]))["state"] == "done"  # the instance accepted
    assert not mastodon.received and not lemmy.received
    [item] = (await api.get("/review", params={"group": "circle"})).json()
    assert item["group_id"] is not None and item["policy"] == "keyword"

    note = "please add a content warning and post again"
    answer = await api.post(f"/review/{item['id']}", json={"decision": "decline", "note": note})
    assert answer.status_code == 200, answer.text
    await live_server.run_workers()

    [reject] = received(mastodon, "Reject")
    assert reject["object"] == doc["id"] and note in reject["summary"]
    # Mastodon shows no Reject: the author also gets a direct message from the group.
    [dm] = [c["object"] for c in received(mastodon, "Create")]
    assert dm["to"] == [alice.actor_id] and note in dm["content"]
    assert not received(mastodon, "Announce") and not received(lemmy, "Announce")

    # carol's post (no held word) is relayed: the group's rule holds only what matches.
    lemmy.received.clear()
    await post(live_server, lemmy, group_url, saying(lemmy, carol, group_url, "hi"), carol)
    assert len(received(lemmy, "Announce")) == 1


async def test_an_instance_reject_stands_whatever_the_group_says(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    await set_policies(api, '[[policy]]\ntype = "keyword"\nwords = ["casino"]\naction = "reject"\n')
    # A group cannot exempt anyone from the instance's policies...
    looser = [{"type": "keyword", "words": ["casino"], "action": "hold",
               "exempt": [mastodon.host]}]  # fmt: skip
    refused = await api.put("/groups/circle/policies", json={"policies": looser})
    assert refused.status_code == 400
    assert "only add restrictions" in refused.json()["detail"]
    assert (await api.get("/groups/circle/policies")).json()["policies"] == []
    # ...and whatever its own policies are, an instance reject ends the chain first.
    stricter = [{"type": "mention_flood", "hold_above": 5}]
    ok = await api.put("/groups/circle/policies", json={"policies": stricter})
    assert ok.status_code == 200
    mastodon.received.clear()
    doc = saying(mastodon, alice, group_url, "best casino in town")
    await post(live_server, mastodon, group_url, doc, alice)
    row = await inbox_row(live_server, doc["id"])
    assert row["state"] == "dropped" and row["moderation"]["action"] == "reject"
    assert "casino" in row["result"]
    assert not mastodon.received  # spam is not answered
    assert (await api.get("/review")).json() == []


async def test_a_shadow_policy_records_what_it_would_do_without_acting(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    await set_policies(api, '[[policy]]\ntype = "keyword"\nname = "trial"\nshadow = true\n'
                            'words = ["refund"]\naction = "reject"\n')  # fmt: skip
    mastodon.received.clear()
    doc = saying(mastodon, alice, group_url, "refund please")
    await post(live_server, mastodon, group_url, doc, alice)
    assert len(received(mastodon, "Announce")) == 1  # not enforced
    row = await inbox_row(live_server, doc["id"])
    assert row["moderation"]["action"] == "accept"
    assert row["moderation"]["shadow"] == [
        {"action": "reject", "policy": "trial", "reason": "keyword 'refund'"}
    ]
    [entry] = (await api.get("/audit", params={"target": doc["id"]})).json()
    assert (entry["action"], entry["who"]) == ("shadow_reject", "policy:trial")


async def test_a_content_warning_rewrite_is_published_as_the_groups_own_copy(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    policy = 'topics = ["eating disorder"]\naction = "add"\nwarning = "Eating disorders"\n'
    await set_policies(api, '[[policy]]\ntype = "require_content_warning"\n' + policy)
    mastodon.received.clear()
    doc = saying(mastodon, alice, group_url, "sharing eating disorder resources today")
    await post(live_server, mastodon, group_url, doc, alice)
    # A boost would show the post without the warning: the group publishes a copy with it.
    assert not received(mastodon, "Announce")
    [copy] = [c["object"] for c in received(mastodon, "Create")]
    assert copy["summary"] == "Eating disorders" and copy["sensitive"] is True
    assert copy["attributedTo"] == group_url and "resources today" in copy["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" in copy["to"]
    row = await inbox_row(live_server, doc["id"])
    assert row["moderation"]["action"] == "rewrite"


async def test_a_bad_policy_file_through_the_api_keeps_the_previous_chain(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await set_policies(api, HOLD_WORDS)
    bad = HOLD_WORDS + '\n[[policy]]\ntype = "mention_flood"\nhold_above = "five"\n'
    refused = await api.put("/moderation/policies", json={"text": bad})
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("not changed: line 8: policy 2 (mention_flood)")
    current = (await api.get("/moderation/policies")).json()
    assert [p["name"] for p in current["policies"]] == ["review words"]
    assert current["text"] == HOLD_WORDS and current["error"] is None

    # Edited on disk into something broken: the chain in force stays, the error is shown.
    policies = live_server.federation.moderation.policies
    policies.path.write_text("[[policy]\n")
    assert policies.reload() is False
    current = (await api.get("/moderation/policies")).json()
    assert [p["name"] for p in current["policies"]] == ["review words"]
    assert current["error"].startswith("line 1:")
    assert (await api.get("/moderation/summary")).json()["policy_error"] == current["error"]


async def test_the_dashboard_counts_held_posts_waiting_too_long(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, _, alice, _ = members
    await set_policies(api, HOLD_WORDS)
    for text in ("pills one", "pills two"):
        await post(
            live_server, mastodon, group_url, saying(mastodon, alice, group_url, text), alice
        )
    summary = (await api.get("/moderation/summary")).json()
    assert (summary["review_pending"], summary["review_overdue"]) == (2, 0)
    await live_server.pool.execute(
        "UPDATE review_items SET held_at = now() - interval '2 hours' WHERE id = "
        "(SELECT min(id) FROM review_items)"
    )
    summary = (await api.get("/moderation/summary")).json()
    assert (summary["review_pending"], summary["review_overdue"]) == (2, 1)
    assert summary["review_overdue_after_minutes"] == 60
    metrics = (await api.get(f"{live_server.base_url}/metrics")).text
    assert "peerhaven_review_pending 2" in metrics and "peerhaven_review_overdue 1" in metrics


async def test_only_admins_change_instance_wide_moderation(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    staff = await create_actor(
        live_server.pool, kind="Person", username="mo", name="Mo", role="moderator"
    )
    await tokens.add(live_server.pool, hash_token("mo-token"), staff.id)
    headers = {"Authorization": "Bearer mo-token"}
    for method, path, body in (
        ("PUT", "/moderation/policies", {"text": ""}),
        ("POST", "/accounts", {"actor": "https://x.example/u/a", "action": "suspend"}),
        ("POST", "/domains", {"domain": "x.example", "action": "block"}),
    ):
        answer = await api.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)
    assert (await api.get("/moderation/policies", headers=headers)).status_code == 200
    assert (await api.get("/review", headers=headers)).status_code == 200
    assert await live_server.pool.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_a_post_in_crisis_is_held_for_a_person_not_relayed(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    lemmy.received.clear()
    doc = saying(mastodon, alice, group_url, "I have a plan and I am going to end it tonight")
    await post(live_server, mastodon, group_url, doc, alice)
    row = await inbox_row(live_server, doc["id"])
    assert row["state"] == "held" and row["moderation"]["policy"] == "crisis"
    assert row["moderation"]["reason"].startswith("crisis: urgent")
    # Not relayed, not deleted (alice gets the group's message: test_crisis_response.py).
    assert not received(mastodon, "Announce") and not lemmy.received
    [item] = (await api.get("/review")).json()
    assert item["policy"] == "crisis" and "urgent" in item["reason"]
    # An ordinary post is not held.
    calm = saying(mastodon, alice, group_url, "had a good day at the allotment")
    await post(live_server, mastodon, group_url, calm, alice)
    assert (await inbox_row(live_server, calm["id"]))["state"] == "done"
