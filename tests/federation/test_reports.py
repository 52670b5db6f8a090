"""Reports: incoming Flags in Mastodon's and Lemmy's shapes (from the corpus) land in the
right queue; a domain's reports can be rejected; a report forwarded to another PeerHaven
server arrives as a Flag it accepts; and after a full moderation scenario every decision and
action is in the audit log."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.local import create_actor
from tests.conftest import LiveServer, start_live_server
from tests.corpus import corpus_dir
from tests.federation.group_rig import Members, create, post, received, saying, set_policies
from tests.rig import create_database, drop_database


def corpus_flag(*path: str) -> dict[str, Any]:
    return json.loads(corpus_dir("activities", *path[:-1]).joinpath(path[-1]).read_text())


MASTODON_FLAG = ("mastodon", "lemmy-assets", "activities", "flag.json")
LEMMY_FLAG = ("lemmy", "lemmy-assets", "activities", "community", "report_page.json")


async def relayed_post(live_server: LiveServer, members: Members, group_url: str) -> str:
    mastodon, _, alice, _ = members
    doc = create(mastodon, alice, group_url)
    await post(live_server, mastodon, group_url, doc, alice)
    return doc["object"]["id"]


async def reports(live_server: LiveServer) -> list[dict[str, Any]]:
    rows = await live_server.pool.fetch("SELECT * FROM reports ORDER BY id")
    return [dict(r) for r in rows]


async def test_mastodon_and_lemmy_flags_land_in_the_right_queue(
    live_server: LiveServer, members: Members, group_url: str
) -> None:
    mastodon, lemmy, alice, carol = members
    note_id = await relayed_post(live_server, members, group_url)
    group_id = await live_server.pool.fetchval(
        "SELECT id FROM local_actors WHERE username = 'circle'"
    )

    # Mastodon: its instance actor reports an account and its posts (object is a list; the
    # comment in "content"). About the group's relayed post: the group's moderators get it.
    moderator = mastodon.add_actor("actor")
    flag = copy.deepcopy(corpus_flag(*MASTODON_FLAG))
    flag.update(id=mastodon.new_id(moderator, "Flag"), actor=moderator.actor_id,
                object=[alice.actor_id, note_id], to=alice.actor_id)  # fmt: skip
    await post(live_server, mastodon, group_url, flag, moderator)

    # Lemmy: the reporter's own Flag, "to" the community, one object, the reason in "summary".
    lemmy_flag = copy.deepcopy(corpus_flag(*LEMMY_FLAG))
    lemmy_flag.update(id=lemmy.new_id(carol, "Flag"), actor=carol.actor_id, to=[group_url],
                      audience=group_url, object=note_id)  # fmt: skip
    await post(live_server, lemmy, group_url, lemmy_flag, carol)

    # About an account the groups have nothing to do with: the instance's admins get it.
    stranger = mastodon.add_actor("stranger")
    elsewhere = copy.deepcopy(corpus_flag(*MASTODON_FLAG))
    elsewhere.update(id=mastodon.new_id(moderator, "Flag"), actor=moderator.actor_id,
                     object=[stranger.actor_id], to=stranger.actor_id)  # fmt: skip
    await post(live_server, mastodon, live_server.base_url, elsewhere, moderator)

    stored = await reports(live_server)
    assert [(r["actor_uri"], r["group_id"]) for r in stored] == [
        (moderator.actor_id, group_id), (carol.actor_id, group_id), (moderator.actor_id, None),
    ]  # fmt: skip
    assert stored[0]["object_uris"] == [alice.actor_id, note_id]
    assert stored[0]["content"] == "Please take a look at this user and their posts"
    assert stored[1]["object_uris"] == [note_id]
    assert stored[1]["content"] == "report this post"
    assert all(r["state"] == "open" and r["source"] == "remote" for r in stored)

    # A replayed Flag is one report.
    await post(live_server, mastodon, group_url, flag, moderator)
    assert len(await reports(live_server)) == 3


async def test_reports_from_a_domain_can_be_rejected_and_content_is_capped(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, carol = members
    await set_policies(api, f'[[policy]]\ntype = "domain"\nreject_reports = ["{mastodon.host}"]\n')
    moderator = mastodon.add_actor("actor")
    flag = copy.deepcopy(corpus_flag(*MASTODON_FLAG))
    flag.update(id=mastodon.new_id(moderator, "Flag"), actor=moderator.actor_id,
                object=[alice.actor_id], to=alice.actor_id)  # fmt: skip
    await post(live_server, mastodon, group_url, flag, moderator)
    assert await reports(live_server) == []

    lemmy_flag = copy.deepcopy(corpus_flag(*LEMMY_FLAG))
    lemmy_flag.update(id=lemmy.new_id(carol, "Flag"), actor=carol.actor_id, to=[group_url],
                      object=alice.actor_id, summary="x" * 6000)  # fmt: skip
    await post(live_server, lemmy, group_url, lemmy_flag, carol)
    [report] = await reports(live_server)
    assert len(report["content"]) == 5000


@pytest.fixture
async def second_server(
    pg_server_dsn: str, template_database: str, tmp_path: Path
) -> AsyncIterator[LiveServer]:
    name, dsn = await create_database(pg_server_dsn, template_database)
    try:
        async with start_live_server(dsn, tmp_path / "second") as server:
            yield server
    finally:
        await drop_database(pg_server_dsn, name)


async def test_a_forwarded_report_arrives_at_another_peerhaven_as_a_flag_it_accepts(
    live_server: LiveServer, second_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await create_actor(second_server.pool, kind="Person", username="bob", name="Bob")
    bob = f"{second_server.base_url}/users/bob"
    filed = await api.post(
        "/reports", json={"objects": [bob], "content": "harassing our members in DMs"}
    )
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]
    forwarded = await api.post(f"/reports/{report_id}", json={"action": "forward"})
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["forwarded_to"] == f"{second_server.base_url}/inbox"
    await live_server.run_workers()
    await second_server.run_workers()

    row = await second_server.pool.fetchrow("SELECT * FROM reports")
    assert row is not None, "the second server did not store the Flag"
    assert row["actor_uri"] == f"{live_server.base_url}/actor"  # from our instance actor
    assert row["object_uris"] == [bob]
    assert row["content"] == "harassing our members in DMs"
    assert row["group_id"] is None  # about one of its users: its admins' queue
    verified = await second_server.pool.fetchval(
        "SELECT verified_by FROM inbox_activities WHERE type = 'Flag'"
    )
    assert verified == "http-signature"

    # Nothing to forward when the report names nothing remote.
    local = await api.post("/reports", json={"objects": [f"{live_server.base_url}/actor"],
                                             "content": "test"})  # fmt: skip
    refused = await api.post(f"/reports/{local.json()['id']}", json={"action": "forward"})
    assert refused.status_code == 409


EXPECTED_ACTIONS = {
    "policy_change", "policy_reject", "policy_hold", "policy_rewrite", "shadow_hold",
    "review_approve", "group_policy_change", "review_decline", "report_received",
    "report_resolve", "report_filed", "report_dismiss", "report_forward", "post_remove",
    "member_ban", "member_unban", "account_suspend", "account_unsuspend", "account_limit",
    "domain_suspend", "domain_silence", "domain_unblock",
}  # fmt: skip


async def test_every_decision_and_action_of_a_scenario_is_in_the_audit_log(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, carol = members

    async def ok(method: str, path: str, **body: Any) -> Any:
        answer = await api.request(method, path, json=body or None)
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer.json()

    async def say(text: str, who: Any = None) -> dict[str, Any]:
        peer, actor = (mastodon, alice) if who is None else who
        doc = saying(peer, actor, group_url, text)
        await post(live_server, peer, group_url, doc, actor)
        return doc

    await set_policies(api, """
[[policy]]
type = "keyword"
name = "spam"
words = ["casino"]
action = "reject"
[[policy]]
type = "keyword"
name = "review"
words = ["pills"]
action = "hold"
[[policy]]
type = "keyword"
name = "warn"
words = ["spoilers"]
action = "content_warning"
[[policy]]
type = "mention_flood"
name = "trial"
shadow = true
hold_above = 0
""")  # fmt: skip
    rejected = await say("casino night")
    held = await say("pills")
    warned = await say("spoilers ahead")
    [item] = await ok("GET", "/review")
    await ok("POST", f"/review/{item['id']}", decision="approve", note="fine")
    await live_server.run_workers()
    await ok("PUT", "/groups/circle/policies",
             policies=[{"type": "keyword", "words": ["diet"], "action": "hold"}])  # fmt: skip
    declined = await say("diet talk")
    [item] = await ok("GET", "/review")
    await ok("POST", f"/review/{item['id']}", decision="decline", note="needs a CW")

    moderator = mastodon.add_actor("actor")
    flag = copy.deepcopy(corpus_flag(*MASTODON_FLAG))
    flag.update(id=mastodon.new_id(moderator, "Flag"), actor=moderator.actor_id,
                object=[group_url], to=group_url)  # fmt: skip
    await post(live_server, mastodon, group_url, flag, moderator)
    [remote] = await ok(
        "GET",
        "/reports",
    )
    await ok("POST", f"/reports/{remote['id']}", action="resolve", note="spoke to them",
             taken="warned")  # fmt: skip
    local = await ok("POST", "/reports", objects=[carol.actor_id], content="rude replies")
    await ok("POST", f"/reports/{local['id']}", action="forward")
    await ok("POST", f"/reports/{local['id']}", action="dismiss", note="not a violation")

    relayed = await say("an ordinary post", (lemmy, carol))
    await ok("POST", "/groups/circle/removals", object=relayed["object"]["id"], reason="off-topic")
    await ok("POST", "/groups/circle/bans", actor=carol.actor_id, action="ban", reason="spam")
    await ok("POST", "/groups/circle/bans", actor=carol.actor_id, action="unban")
    await ok("POST", "/accounts", actor=carol.actor_id, action="suspend", reason="spam wave")
    await ok("POST", "/accounts", actor=carol.actor_id, action="lift")
    await ok("POST", "/accounts", actor=alice.actor_id, action="limit")
    await ok("POST", "/domains", domain="spam.example", action="block", reason="spam")
    await ok("POST", "/domains", domain="loud.example", action="block", severity="silence")
    await ok("POST", "/domains", domain="spam.example", action="unblock")
    await live_server.run_workers()

    log = await ok("GET", "/audit")
    actions = {e["action"] for e in log}
    assert actions == EXPECTED_ACTIONS, (EXPECTED_ACTIONS - actions, actions - EXPECTED_ACTIONS)
    staff = f"{live_server.base_url}/users/ada"
    for entry in log:
        assert entry["who"] and entry["target"] and entry["at"]
        if (
            entry["action"].startswith(("policy_", "shadow_"))
            and entry["action"] != "policy_change"
        ):
            assert entry["who"].startswith("policy:")
        elif entry["action"] != "report_received":
            assert entry["who"] == staff, entry
    by_target = {e["target"]: e["action"] for e in log if e["action"].startswith("policy_")}
    assert by_target[rejected["id"]] == "policy_reject"
    assert by_target[warned["id"]] == "policy_rewrite"
    held_actions = [e["action"] for e in await ok("GET", f"/audit?target={held['id']}")]
    # the hold ended the chain; once approved, the chain ran again without holds, as far as
    # the policy on trial
    assert held_actions == ["shadow_hold", "review_approve", "policy_hold"]
    declined_actions = [e["action"] for e in await ok("GET", f"/audit?target={declined['id']}")]
    assert "review_decline" in declined_actions and "policy_hold" in declined_actions
    # The Mastodon-compatible Flag reached carol's server, from our instance actor.
    [forwarded] = received(lemmy, "Flag")
    assert forwarded["actor"] == f"{live_server.base_url}/actor"
    assert forwarded["object"] == [carol.actor_id] and forwarded["content"] == "rude replies"

    # The log cannot be edited.
    with pytest.raises(Exception, match="append-only"):
        await live_server.pool.execute("DELETE FROM audit_log")
