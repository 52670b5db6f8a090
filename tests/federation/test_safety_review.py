"""What a review of issue #8's code found, each as a test: another group's moderator cannot
change what this group tells people in crisis, whom it marks verified or whom it bans; bad
input is a 4xx that writes nothing; anonymous submissions pass the group's own policies and
are withdrawn when their author deletes them; a new pinned post of crisis lines replaces
the old one."""

from __future__ import annotations

import httpx

from moderation.policies.defaults import group_policies_for
from tests.federation.anonymous_rig import Rig, direct, submit
from tests.federation.group_rig import received

LINE = {"country": "GB", "name": "Samaritans", "phone": "116 123", "group": "circle"}


async def test_another_groups_moderator_cannot_change_this_groups_safety(rig: Rig) -> None:
    other, mod = rig.other, rig.mod
    alice = rig.alice.actor_id
    refused = [
        await other.post("/resources", json=LINE),
        await other.put("/groups/circle/crisis", json={"concern_message": True}),
        await other.post("/groups/circle/resources/pin", json={}),
        await other.post("/groups/circle/verified", json={
            "actor": alice, "action": "verify", "role": "professional", "credential": "x"}),
        await other.post("/groups/circle/bans", json={"actor": alice, "action": "ban"}),
    ]  # fmt: skip
    assert [r.status_code for r in refused] == [403] * 5, [r.text for r in refused]
    pool = rig.server.pool
    for table in ("crisis_resources", "crisis_group_settings", "group_bans", "group_pins"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # The group's own moderator may; the same entry twice is a conflict, not an overwrite.
    assert (await mod.post("/resources", json=LINE)).status_code == 201
    again = await mod.post("/resources", json={**LINE, "hours": "24/7"})
    assert again.status_code == 409
    assert await pool.fetchval("SELECT hours FROM crisis_resources") == ""
    assert (await mod.put("/groups/circle/crisis", json={"country": "gb"})).status_code == 200


async def test_bad_input_is_a_4xx_that_writes_nothing(rig: Rig) -> None:
    admin = rig.admin
    answers = {
        "nul name": await admin.post("/resources", json={**LINE, "name": "a\x00b"}),
        "nul group": await admin.post("/resources", json={**LINE, "group": "c\x00"}),
        "nul country query": await admin.get("/resources", params={"country": "\x00"}),
        "nul group query": await admin.get("/anonymous", params={"group": "\x00"}),
        "nul path": await admin.get("/users/%00/verification"),
        "nul url": await admin.post("/anonymous/bans", json={"note": "http://x\x00"}),
        "days overflow": await admin.post(
            "/groups/circle/bans", json={"actor": rig.alice.actor_id, "action": "ban",
                                         "days": 1e300}),
        "javascript url": await admin.post("/resources", json={**LINE, "url": "javascript:x"}),
    }  # fmt: skip
    for what, answer in answers.items():
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
    pool = rig.server.pool
    assert await pool.fetchval("SELECT count(*) FROM crisis_resources") == 0
    assert await pool.fetchval("SELECT count(*) FROM group_bans") == 0


async def test_an_anonymous_submission_passes_the_groups_own_policies(rig: Rig) -> None:
    answer = await rig.admin.put("/groups/circle/policies", json={"policies": group_policies_for()})
    assert answer.status_code == 200, answer.text
    submission = await submit(rig, "Our talk about self-harm recovery is on Tuesday")
    assert submission["summary"] == "Mentions: self-harm" and submission["sensitive"]
    decided = await rig.mod.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    await rig.server.run_workers()
    [published] = [c for c in received(rig.lemmy, "Create") if c["actor"] == rig.group_url]
    assert published["object"]["summary"] == "Mentions: self-harm"


async def test_deleting_a_waiting_anonymous_message_withdraws_it(rig: Rig) -> None:
    doc = direct(rig.home, rig.author, rig.group_url, "!anon something I regret sending")
    await rig.send(rig.home, rig.author, doc)
    [submission] = (await rig.mod.get("/anonymous", params={"group": "circle"})).json()
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Delete",
        "id": f"{doc['object']['id']}#delete", "actor": rig.author.actor_id,
        "object": {"id": doc["object"]["id"], "type": "Tombstone"},
        "to": [rig.group_url],
    }  # fmt: skip
    await rig.send(rig.home, rig.author, delete)
    assert (await rig.mod.get("/anonymous", params={"group": "circle"})).json() == []
    gone = await rig.mod.get("/anonymous", params={"group": "circle", "state": "withdrawn"})
    assert [s["id"] for s in gone.json()] == [submission["id"]]
    late = await rig.mod.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    assert late.status_code == 409
    result = await rig.server.pool.fetchval(
        "SELECT result FROM inbox_activities WHERE activity_id = $1", delete["id"]
    )
    assert result == "held message withdrawn by its author"


async def test_a_new_pinned_post_of_crisis_lines_replaces_the_old_one(rig: Rig) -> None:
    mod = rig.mod
    assert (await mod.post("/resources", json=LINE)).status_code == 201
    first = (await mod.post("/groups/circle/resources/pin", json={"lang": "en"})).json()["note"]
    second = (await mod.post("/groups/circle/resources/pin", json={"lang": "en"})).json()["note"]
    await rig.server.run_workers()
    removes = [r["object"] for r in received(rig.lemmy, "Remove")]
    deletes = [d["object"]["id"] for d in received(rig.lemmy, "Delete")]
    assert removes == [first] and deletes == [first]
    async with httpx.AsyncClient() as http:
        featured = (
            await http.get(
                f"{rig.group_url}/featured", headers={"Accept": "application/activity+json"}
            )
        ).json()
    assert [item["id"] for item in featured["orderedItems"]] == [second]


async def test_held_posts_are_read_by_their_groups_moderators_and_the_admins(rig: Rig) -> None:
    doc = direct(rig.mastodon, rig.alice, rig.group_url, "")
    doc["object"]["to"] = doc["to"] = ["https://www.w3.org/ns/activitystreams#Public"]
    doc["object"]["cc"] = doc["cc"] = [rig.group_url]
    doc["object"]["content"] = "<p>I have a plan and I am going to end it tonight</p>"
    await rig.send(rig.mastodon, rig.alice, doc)
    [item] = (await rig.admin.get("/review")).json()
    assert [i["id"] for i in (await rig.mod.get("/review")).json()] == [item["id"]]
    assert (await rig.other.get("/review")).json() == []
    refused = await rig.other.post(f"/review/{item['id']}", json={"decision": "approve"})
    assert refused.status_code == 403
    assert (await rig.other.post("/review/999999", json={"decision": "approve"})).status_code == 404
    decided = await rig.mod.post(f"/review/{item['id']}", json={"decision": "decline"})
    assert decided.status_code == 200, decided.text
