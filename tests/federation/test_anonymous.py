"""Accountable anonymous submissions, live: a member's direct message to the group starting
with its keyword waits for the group's moderators, who read the text without its author;
approved, the group publishes it as its own note; the author is told by direct message; the
author's identity is sealed (unsealing is audited) and can be banned through the post.

The author lives alone on a second host (127.0.0.2) with a distinctive name, so that their
handle, actor URL and domain can be looked for in everything the scenario produces."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from federation.anonymous import check_keyword, parse
from federation.direct import message_text
from federation.parse import parse_document
from federation.signatures.cavage import sign_request
from federation.wire import Activity, APObject
from tests.federation.anonymous_rig import AUTHOR, TEXT, Rig, direct, submit
from tests.federation.group_rig import AS, create, received
from tests.peer import Peer, PeerActor
from tests.processes import cli_env, peerhaven


def creates_from_group(peer: Peer, group_url: str) -> list[dict[str, Any]]:
    return [b for b in received(peer, "Create") if b["actor"] == group_url]


async def fetch(url: str, signer: PeerActor | None = None, html: bool = False) -> tuple[int, str]:
    headers = {"Accept": "text/html" if html else "application/activity+json"}
    if signer is not None:
        headers.update(sign_request("GET", url, headers, None, signer.key_id,
                                    signer.private_pem, datetime.now(UTC)))  # fmt: skip
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        return resp.status, await resp.text()


async def test_a_members_keyword_dm_is_held_approved_and_published_by_the_group(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = rig
    before = {p.host: len(p.received) for p in (r.mastodon, r.lemmy, r.home)}
    submission = await submit(r)

    # Held: nothing reached anyone, and the moderators read the text, not who wrote it.
    assert {p.host: len(p.received) for p in (r.mastodon, r.lemmy, r.home)} == before
    assert submission["content"] == TEXT and submission["state"] == "pending"
    assert not (await r.admin.get("/review")).json()  # not in the general review queue

    approved = await r.mod.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    note_id = approved.json()["published"]
    await r.server.run_workers()

    # Both members' servers get the group's own public note, attributed to the group alone.
    for peer in (r.mastodon, r.lemmy):
        [create_doc] = creates_from_group(peer, r.group_url)
        note = create_doc["object"]
        assert note["id"] == note_id and note["attributedTo"] == r.group_url
        assert note["to"] == [AS + "#Public"] and note["cc"] == [f"{r.group_url}/followers"]
        assert "I finally told my family" in note["content"] and "!anon" not in note["content"]
        assert "<p>It went better than I feared.</p>" in note["content"]
    # The author's server gets the note like every member's, and the author is told.
    to_author = creates_from_group(r.home, r.group_url)
    assert [c["object"]["id"] for c in to_author if c["object"]["id"] == note_id]
    [told] = [c for c in to_author if c["object"]["to"] == [r.author.actor_id]]
    assert note_id in told["object"]["content"]
    assert "published" in told["object"]["content"]
    # Listed in the group's outbox like its other posts; served to a member's server.
    status, outbox = await fetch(f"{r.group_url}/outbox?page=1")
    assert status == 200 and note_id in outbox
    assert (await fetch(note_id, r.alice))[0] == 200

    # Replies to the anonymous post are relayed like replies to any group post.
    patched = await r.admin.patch("/groups/circle", json={"replies": "all"})
    assert patched.status_code == 200, patched.text
    reply = create(r.mastodon, r.alice, r.group_url, reply_to=note_id)
    await r.send(r.mastodon, r.alice, reply)
    announces = [b for b in received(r.lemmy, "Announce") if b["object"]["id"] == reply["id"]]
    assert len(announces) == 1

    # Unsealing shows the author to the group's moderator, with a reason, audited.
    refused = await r.mod.post(f"/anonymous/{submission['id']}/unseal", json={})
    assert refused.status_code == 400
    unsealed = await r.mod.post(
        f"/anonymous/{submission['id']}/unseal", json={"reason": "threats reported by a member"}
    )
    assert unsealed.status_code == 200, unsealed.text
    # The strings the leak check looks for do appear where they may: the check can fail.
    for secret in r.secrets:
        assert secret in unsealed.text
    audit = (await r.admin.get("/audit", params={"action": "anonymous_unseal"})).json()
    [entry] = audit
    assert entry["reason"] == "threats reported by a member"
    assert entry["who"] == f"{r.server.base_url}/users/mona"

    # A ban through the published note blocks the real author, unseen.
    banned = await r.mod.post("/anonymous/bans", json={"note": note_id, "reason": "threats"})
    assert banned.status_code == 200, banned.text
    assert banned.json()["author_banned"] is True
    again = await r.mod.post("/anonymous/bans", json={"submission": submission["id"]})
    assert again.status_code == 409
    await r.server.run_workers()
    assert [b["object"] for b in received(r.home, "Block")] == [r.author.actor_id]
    later = create(r.home, r.author, r.group_url)
    await r.send(r.home, r.author, later)
    [reject] = received(r.home, "Reject")
    assert reject["object"] == later["id"] and "banned" in reject["summary"]
    assert not [b for b in received(r.mastodon, "Announce") if b["object"] == later["object"]["id"]]

    # Everything else the scenario produced names neither the author's handle, actor nor
    # domain: every payload delivered to anyone but the author, every stored outgoing
    # activity others receive, the group's pages, other staff's and anonymous API answers,
    # the inbox's stored result and the log.
    material: dict[str, str] = {}
    for peer in (r.mastodon, r.lemmy):
        for i, got in enumerate(peer.received):
            material[f"{peer.host} received #{i} {got.body['type']}"] = json.dumps(got.body)
    author_host = r.author.actor_id.split("/")[2]
    for row in await r.server.pool.fetch("SELECT body, recipients FROM outbound_activities"):
        if set(json.loads(row["recipients"])) - {author_host}:
            material[f"outbound {row['body'][:80]}"] = row["body"]
    base = r.server.base_url
    pages = [
        (r.group_url, None, True), (r.group_url, None, False),
        (f"{r.group_url}/outbox", None, False), (f"{r.group_url}/outbox?page=1", None, False),
        (note_id, None, True),
        (note_id, r.alice, False), (f"{base}/", None, True), (f"{base}/resources", None, True),
        (f"{base}/about/moderation", None, True), (f"{base}/metrics", None, True),
        (f"{base}/nodeinfo/2.1", None, False),
    ]  # fmt: skip
    for url, signer, html in pages:
        material[f"GET {url} html={html} signed={signer is not None}"] = (
            await fetch(url, signer, html)
        )[1]
    sid = submission["id"]
    for name, client in (("otto", r.other), ("nobody", r.anon)):
        calls = [
            client.get("/anonymous"), client.get("/anonymous", params={"group": "circle"}),
            client.get("/anonymous", params={"state": "all"}),
            client.post(f"/anonymous/{sid}/unseal", json={"reason": "curious"}),
            client.post(f"/anonymous/{sid}", json={"decision": "decline"}),
            client.post("/anonymous/bans", json={"submission": sid}),
            client.get("/audit"), client.get("/review"), client.get("/reports"),
            client.get("/moderation/summary"), client.get("/groups"),
            client.get("/groups/circle/moderators"),
        ]  # fmt: skip
        for call in calls:
            answer = await call
            material[f"{name} {answer.request.method} {answer.request.url}"] = answer.text
        forbidden = await client.post(f"/anonymous/{sid}/unseal", json={"reason": "curious"})
        assert forbidden.status_code in (401, 403)
    result = await r.server.pool.fetchval(
        "SELECT result FROM inbox_activities WHERE activity_id LIKE $1", "%/note/%/activity"
    )
    assert "anonymous submission" in result
    material["inbox result"] = result
    material["log"] = "\n".join(record.getMessage() for record in caplog.records)
    assert len(material) > 40
    leaks = [(where, s) for where, text in material.items() for s in r.secrets if s in text]
    assert leaks == []


async def test_decline_tells_the_author_the_moderators_note(rig: Rig) -> None:
    r = rig
    submission = await submit(r, "please share this for me")
    declined = await r.admin.post(
        f"/anonymous/{submission['id']}", json={"decision": "decline", "note": "names inside"}
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["state"] == "declined" and declined.json()["published"] is None
    twice = await r.admin.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    assert twice.status_code == 409
    await r.server.run_workers()
    [told] = creates_from_group(r.home, r.group_url)
    assert told["object"]["to"] == [r.author.actor_id]
    assert "not published" in told["object"]["content"]
    assert "names inside" in told["object"]["content"]
    for peer in (r.mastodon, r.lemmy):
        assert creates_from_group(peer, r.group_url) == []
    [entry] = (await r.admin.get("/audit", params={"action": "anonymous_decline"})).json()
    assert entry["reason"] == "names inside" and r.author.actor_id not in json.dumps(entry)


async def test_a_non_members_keyword_dm_is_refused(rig: Rig) -> None:
    r = rig
    stranger = r.home.add_actor("stranger")
    await r.send(r.home, stranger, direct(r.home, stranger, r.group_url, "!anon let me in"))
    [reject] = received(r.home, "Reject")
    assert reject["summary"] == "only members may post anonymously to this group"
    # Mastodon shows no Reject: the group's direct message says the same.
    [told] = creates_from_group(r.home, r.group_url)
    assert told["object"]["to"] == [stranger.actor_id]
    assert "only members may post anonymously" in told["object"]["content"]
    assert (await r.admin.get("/anonymous", params={"state": "all"})).json() == []


async def test_a_replayed_dm_is_one_submission(rig: Rig) -> None:
    r = rig
    doc = direct(r.home, r.author, r.group_url, "!anon once only")
    await r.send(r.home, r.author, doc)
    await r.send(r.home, r.author, doc)  # the same activity again
    # The same note in a new Create (a server re-sending it): still the same submission.
    resent = {**doc, "id": f"{doc['object']['id']}/activity-again"}
    await r.send(r.home, r.author, resent)
    listed = (await r.admin.get("/anonymous", params={"state": "all"})).json()
    assert [s["content"] for s in listed] == ["once only"]
    result = await r.server.pool.fetchval(
        "SELECT result FROM inbox_activities WHERE activity_id = $1", resent["id"]
    )
    assert result == "anonymous submission to circle received before"


async def test_the_keyword_alone_gets_a_helpful_answer_and_the_keyword_is_a_setting(
    rig: Rig,
) -> None:
    r = rig
    await r.send(r.home, r.author, direct(r.home, r.author, r.group_url, "  !ANON  "))
    [told] = creates_from_group(r.home, r.group_url)
    assert told["object"]["to"] == [r.author.actor_id]
    assert "write your post after !anon" in told["object"]["content"]
    assert (await r.admin.get("/anonymous", params={"state": "all"})).json() == []

    wrong = await r.admin.patch("/groups/circle", json={"anonymous_keyword": "two words"})
    assert wrong.status_code == 400 and "anonymous_keyword" in wrong.json()["fields"]
    changed = await r.admin.patch("/groups/circle", json={"anonymous_keyword": "#Quiet"})
    assert changed.status_code == 200 and changed.json()["anonymous_keyword"] == "#Quiet"
    await r.server.run_workers()
    # The keyword is not in the actor: followers get no Update for it.
    assert received(r.mastodon, "Update") == []
    await r.send(r.home, r.author, direct(r.home, r.author, r.group_url, "#quiet hello"))
    # The old keyword is an ordinary direct message now: a public group refuses it.
    await r.send(r.home, r.author, direct(r.home, r.author, r.group_url, "!anon hello"))
    listed = (await r.admin.get("/anonymous")).json()
    assert [s["content"] for s in listed] == ["hello"]
    [reject] = received(r.home, "Reject")
    assert reject["summary"] == "this group shares only public posts"


async def test_a_members_only_group_publishes_to_its_members_alone(rig: Rig) -> None:
    r = rig
    patched = await r.admin.patch("/groups/circle", json={"visibility": "members"})
    assert patched.status_code == 200, patched.text
    submission = await submit(r, "only for us")
    approved = await r.mod.post(f"/anonymous/{submission['id']}", json={"decision": "approve"})
    note_id = approved.json()["published"]
    await r.server.run_workers()
    for peer in (r.mastodon, r.lemmy):
        [create_doc] = creates_from_group(peer, r.group_url)
        assert create_doc["object"]["id"] == note_id
        assert create_doc["to"] == [f"{r.group_url}/followers"]
        assert AS + "#Public" not in json.dumps(create_doc)
    assert (await fetch(note_id, r.carol))[0] == 200  # a member's server
    assert (await fetch(note_id))[0] == 401  # unsigned
    status, outbox = await fetch(f"{r.group_url}/outbox")
    assert status == 200 and note_id not in outbox  # as for its copies of members' posts


async def test_a_moderator_of_another_group_cannot_see_or_decide(rig: Rig) -> None:
    r = rig
    submission = await submit(r)
    assert (await r.other.get("/anonymous", params={"group": "circle"})).status_code == 403
    assert (await r.other.get("/anonymous")).json() == []  # only the groups they moderate
    for path, payload in (
        (f"/anonymous/{submission['id']}", {"decision": "approve"}),
        (f"/anonymous/{submission['id']}/unseal", {"reason": "curious"}),
        ("/anonymous/bans", {"submission": submission["id"]}),
    ):
        assert (await r.other.post(path, json=payload)).status_code == 403
    assert (await r.anon.get("/anonymous")).status_code == 401
    assert (await r.mod.get("/anonymous")).json()[0]["id"] == submission["id"]
    bad = await r.mod.post("/anonymous/bans", json={"submission": 1, "note": "https://x.example"})
    assert bad.status_code == 400
    assert (await r.mod.post("/anonymous/999/unseal", json={"reason": "x"})).status_code == 404
    # Nothing was unsealed or banned by the refused calls.
    audit = (await r.admin.get("/audit")).json()
    assert not [e for e in audit if e["action"] in ("anonymous_unseal", "member_ban")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!anon hello there", "hello there"),
        ("!ANON hello", "hello"),
        ("  !Anon \n\n first line\nsecond  ", "first line\nsecond"),
        ("!anon\tafter a tab", "after a tab"),
        ("!anon", ""),
        ("!anon   \n ", ""),
        ("!anonymous hello", None),
        ("hello !anon", None),
        ("", None),
    ],
)
def test_keyword_parsing(text: str, expected: str | None) -> None:
    assert parse(text, "!anon") == expected


def test_a_custom_keyword_is_taken_literally() -> None:
    assert parse("a.b? text", "a.b?") == "text"
    assert parse("axb? text", "a.b?") is None
    assert check_keyword("!anon") is None and check_keyword("#Quiet") is None
    assert check_keyword("two words") and check_keyword("") and check_keyword("x" * 33)
    assert check_keyword(3)


def test_message_text_drops_the_opening_mention() -> None:
    doc = direct_note_doc("<p>hello <b>world</b></p><p>again</p>")
    parsed = parse_document(doc)
    assert isinstance(parsed, Activity) and isinstance(parsed.object, APObject)
    assert message_text(parsed.object) == "!anon hello world\n\nagain"


def direct_note_doc(content: str) -> dict[str, Any]:
    group = "https://peer.example/groups/circle"
    mention = (
        f'<span class="h-card"><a href="{group}" class="u-url mention">@<span>circle</span>'
        "</a></span>"
    )
    note = {
        "id": "https://m.example/users/a/statuses/1", "type": "Note",
        "attributedTo": "https://m.example/users/a", "to": [group], "cc": [],
        "content": f"<p>{mention} !anon {content[3:]}",
        "tag": [{"type": "Mention", "href": group}],
    }  # fmt: skip
    return {"@context": AS, "id": note["id"] + "/activity", "type": "Create",
            "actor": "https://m.example/users/a", "to": [group], "object": note}  # fmt: skip


async def test_the_cli_lists_approves_unseals_and_bans(
    rig: Rig, database_url: str, tmp_path: Path
) -> None:
    r = rig
    env = cli_env(database_url, r.server.base_url)
    args = ("--data-dir", str(tmp_path))
    changed = peerhaven("group", "set", "circle", "--anonymous-keyword", "!psst", *args, env=env)
    assert changed.returncode == 0 and "anonymous_keyword='!psst'" in changed.stdout
    bad = peerhaven("group", "set", "circle", "--anonymous-keyword", "a b", *args, env=env)
    assert bad.returncode != 0 and "--anonymous-keyword" in bad.stderr
    await r.send(r.home, r.author, direct(r.home, r.author, r.group_url, "!psst from the cli"))
    [submission] = (await r.admin.get("/anonymous")).json()
    listed = peerhaven("anonymous", "list", "circle", *args, env=env)
    assert "from the cli" in listed.stdout and AUTHOR not in listed.stdout
    approved = peerhaven("anonymous", "approve", str(submission["id"]), *args, env=env)
    assert approved.returncode == 0 and "/groups/circle/notes/" in approved.stdout
    await r.server.run_workers()
    assert creates_from_group(r.mastodon, r.group_url)
    no_reason = peerhaven("anonymous", "unseal", str(submission["id"]), *args, env=env)
    assert no_reason.returncode != 0 and AUTHOR not in no_reason.stdout
    unsealed = peerhaven(
        "anonymous", "unseal", str(submission["id"]), "--reason", "court order", *args, env=env
    )
    assert unsealed.returncode == 0 and r.author.actor_id in unsealed.stdout
    banned = peerhaven("anonymous", "ban", str(submission["id"]), *args, env=env)
    assert banned.returncode == 0 and AUTHOR not in banned.stdout
    again = peerhaven("anonymous", "ban", str(submission["id"]), *args, env=env)
    assert again.returncode != 0 and "already banned" in again.stderr
    assert AUTHOR not in again.stderr
    [entry] = (await r.admin.get("/audit", params={"action": "member_ban"})).json()
    assert entry["target"].endswith(f"/groups/circle/anonymous/{submission['id']}")
