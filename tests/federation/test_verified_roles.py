"""Verified roles on a live server: an admin verifies a professional staff account (its actor
carries a Mastodon-style profile field, its followers get an Update, its page shows it);
moderators mark a group's members as verified (the group's page lists them and marks their
posts); refusals change nothing; every change is audited; the CLI does the same."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from federation.documents import actor_document
from federation.local import create_actor
from federation.parse import parse_document
from federation.urls import LocalUrls
from federation.verification import profile_field
from federation.wire import ActorDoc
from server.api.auth import hash_token
from storage import follows, tokens
from storage.actors import LocalActor
from storage.verification import StaffVerification
from tests.conftest import LiveServer
from tests.corpus import corpus_dir
from tests.federation.group_rig import Members, post, received, saying
from tests.peer import Peer
from tests.processes import clean_env, peerhaven

AP = {"Accept": "application/activity+json"}
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
# A Mastodon actor with profile fields, as mastodon.social serves it.
MASTODON_ACTOR = ("activities", "mastodon", "fedidocs-live-captures",
                  "actor_gargron@mastodon.social.json")  # fmt: skip


async def actor_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(url, headers=AP)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def page(url: str) -> str:
    async with httpx.AsyncClient() as http:
        return (await http.get(url, headers={"Accept": "text/html"})).text


def context_terms(doc: dict[str, Any]) -> dict[str, Any]:
    terms: dict[str, Any] = {}
    for entry in doc["@context"]:
        if isinstance(entry, dict):
            terms.update(entry)
    return terms


async def actions(api: httpx.AsyncClient, target: str) -> list[str]:
    return [e["action"] for e in (await api.get("/audit", params={"target": target})).json()]


async def test_a_verified_professional_carries_a_mastodon_profile_field(
    live_server: LiveServer, api: httpx.AsyncClient, peer: Peer
) -> None:
    await create_actor(
        live_server.pool, kind="Person", username="pat", name="Pat", role="professional"
    )
    pat_url = f"{live_server.base_url}/users/pat"
    alice = peer.actors["alice"]
    status, _ = await peer.post(f"{pat_url}/inbox", peer.follow(alice, pat_url), actor=alice)
    assert status == 202
    await live_server.run_workers()
    assert "attachment" not in await actor_json(pat_url)  # not verified yet
    peer.received.clear()

    answer = await api.post(
        "/users/pat/verification", json={"action": "verify", "credential": "Licensed counsellor"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["verified_by"] == "ada" and answer.json()["verified"] is True
    doc = await actor_json(pat_url)

    # Compared with a Mastodon actor's in test_the_field_has_the_shape_of_mastodons below.
    [field] = doc["attachment"]
    assert_mastodon_shape(doc, field)
    assert field["name"] == "Verified professional"
    assert field["value"].startswith("Licensed counsellor (verified by ada, ")

    # Our own parser reads it back as a profile field.
    parsed = parse_document(doc)
    assert isinstance(parsed, ActorDoc), parsed
    [read] = parsed.fields
    assert (read.name, read.value) == (field["name"], field["value"])

    # The follower's server gets an Update of the actor with the field.
    await live_server.run_workers()
    [update] = received(peer, "Update")
    assert update["object"]["id"] == pat_url
    assert update["object"]["attachment"] == [field]
    assert context_terms(update)["PropertyValue"] == "schema:PropertyValue"

    html = await page(pat_url)
    assert "Verified professional" in html and "Licensed counsellor" in html
    assert await actions(api, pat_url) == ["staff_verify"]

    answer = await api.post("/users/pat/verification", json={"action": "unverify"})
    assert answer.status_code == 200 and answer.json()["verified"] is False
    assert "attachment" not in await actor_json(pat_url)
    assert "Verified professional" not in await page(pat_url)
    assert await actions(api, pat_url) == ["staff_unverify", "staff_verify"]
    await live_server.run_workers()
    assert len(received(peer, "Update")) == 2


def assert_mastodon_shape(doc: dict[str, Any], field: dict[str, Any]) -> None:
    """A profile field as Mastodon writes one: its keys and their types, and the context
    terms that declare PropertyValue and value."""
    assert set(field) == {"type", "name", "value"} and field["type"] == "PropertyValue"
    assert all(isinstance(field[k], str) for k in field)
    terms = context_terms(doc)
    assert (terms["schema"], terms["PropertyValue"], terms["value"]) == (
        "http://schema.org#", "schema:PropertyValue", "schema:value"
    )  # fmt: skip


def test_the_field_has_the_shape_of_mastodons() -> None:
    """Our verified professional's actor against mastodon.social's actor in the corpus."""
    corpus = json.loads(corpus_dir(*MASTODON_ACTOR[:-1]).joinpath(MASTODON_ACTOR[-1]).read_text())
    user = LocalActor(
        1, "Person", "pat", "Pat", "", None, False, True, False, "PEM", "", NOW, role="professional"
    )
    verified = StaffVerification(1, "Licensed counsellor", "ada", NOW)
    doc = actor_document(user, LocalUrls("https://haven.example"), fields=[profile_field(verified)])
    [field] = doc["attachment"]
    [theirs, *_] = corpus["attachment"]
    assert set(field) == set(theirs)
    assert {k: type(v) for k, v in field.items()} == {k: type(v) for k, v in theirs.items()}
    assert field["type"] == theirs["type"] == "PropertyValue"
    ours, mastodons = context_terms(doc), context_terms(corpus)
    for term in ("schema", "PropertyValue", "value"):
        assert ours[term] == mastodons[term], term
    assert doc["@context"][:2] == corpus["@context"][:2]  # ActivityStreams, security
    assert_mastodon_shape(corpus, theirs)  # the checks the live test makes hold for Mastodon
    assert field["value"] == "Licensed counsellor (verified by ada, 2026-01-15)"
    parsed = parse_document(doc)
    assert isinstance(parsed, ActorDoc) and parsed.fields[0].name == "Verified professional"


async def test_only_an_admin_verifies_and_only_professionals(
    live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    pool = live_server.pool
    await create_actor(pool, kind="Person", username="pat", name="Pat", role="professional")
    mo = await create_actor(pool, kind="Person", username="mo", name="Mo", role="moderator")
    await tokens.add(pool, hash_token("mo-token"), mo.id)
    verify = {"action": "verify", "credential": "Licensed counsellor"}

    refused = await api.post("/users/mo/verification", json=verify)
    assert refused.status_code == 409
    assert "only staff with the professional role" in refused.json()["detail"]
    as_moderator = await api.post(
        "/users/pat/verification", json=verify, headers={"Authorization": "Bearer mo-token"}
    )
    assert as_moderator.status_code == 403
    assert (await api.post("/users/nobody/verification", json=verify)).status_code == 404
    no_credential = await api.post("/users/pat/verification", json={"action": "verify"})
    assert no_credential.status_code == 400 and "credential" in no_credential.json()["fields"]
    blank = await api.post("/users/pat/verification", json={"action": "verify", "credential": " "})
    assert blank.status_code == 400
    not_verified = await api.post("/users/pat/verification", json={"action": "unverify"})
    assert not_verified.status_code == 409

    assert await pool.fetchval("SELECT count(*) FROM staff_verifications") == 0
    assert await pool.fetchval("SELECT count(*) FROM audit_log") == 0
    assert "attachment" not in await actor_json(f"{live_server.base_url}/users/pat")


async def test_moderators_mark_members_verified_in_their_group(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    mastodon, lemmy, alice, carol = members
    mark = {"actor": alice.actor_id, "action": "verify", "role": "peer_supporter",
            "credential": "Trained peer supporter"}  # fmt: skip
    answer = await api.post("/groups/circle/verified", json=mark)
    assert answer.status_code == 200, answer.text
    [listed] = answer.json()["verified"]
    assert (listed["actor"], listed["role"]) == (alice.actor_id, "peer_supporter")
    assert listed["marked_by"] == f"{live_server.base_url}/users/ada"

    # Refused, changing nothing: a non-member, a bad role, no credential, an unknown group.
    stranger = {**mark, "actor": f"{mastodon.base_url}/users/bob"}
    refused = await api.post("/groups/circle/verified", json=stranger)
    assert refused.status_code == 409 and "not a member" in refused.json()["detail"]
    bad_role = await api.post("/groups/circle/verified", json={**mark, "role": "guru"})
    assert bad_role.status_code == 400 and "role" in bad_role.json()["fields"]
    no_credential = {k: v for k, v in mark.items() if k != "credential"}
    assert (await api.post("/groups/circle/verified", json=no_credential)).status_code == 400
    assert (await api.post("/groups/nowhere/verified", json=mark)).status_code == 404
    rows = await live_server.pool.fetch("SELECT actor_uri FROM group_verified_members")
    assert [r["actor_uri"] for r in rows] == [alice.actor_id]

    # Her relayed posts are marked on the group's page; carol's are not.
    hi = saying(mastodon, alice, group_url, "hi all")
    hello = saying(lemmy, carol, group_url, "hello")
    await post(live_server, mastodon, group_url, hi, alice)
    await post(live_server, lemmy, group_url, hello, carol)
    html = await page(group_url)
    assert "Verified members" in html and "Trained peer supporter" in html
    assert f"@alice@{mastodon.host}" in html
    articles = html.split("<article>")[1:]
    [marked] = [a for a in articles if "hi all" in a]
    [plain] = [a for a in articles if "hello" in a]
    assert "Verified peer supporter" in marked and "Verified" not in plain

    # Marking again replaces the mark; unmarking removes it.
    again = await api.post("/groups/circle/verified", json={**mark, "role": "professional"})
    assert [m["label"] for m in again.json()["verified"]] == ["Verified professional"]
    assert "Verified professional" in await page(group_url)
    gone = await api.post(
        "/groups/circle/verified", json={"actor": alice.actor_id, "action": "unverify"}
    )
    assert gone.status_code == 200 and gone.json()["verified"] == []
    html = await page(group_url)
    assert "Verified members" not in html and "Verified p" not in html
    twice = await api.post(
        "/groups/circle/verified", json={"actor": alice.actor_id, "action": "unverify"}
    )
    assert twice.status_code == 409
    assert await actions(api, alice.actor_id) == [
        "member_unverify", "member_verify", "member_verify"
    ]  # fmt: skip


async def test_a_member_who_leaves_is_no_longer_listed(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    _, _, alice, _ = members
    mark = {"actor": alice.actor_id, "action": "verify", "role": "professional",
            "credential": "Nurse"}  # fmt: skip
    assert (await api.post("/groups/circle/verified", json=mark)).status_code == 200
    await follows.delete_follow(live_server.pool, alice.actor_id, group_url)
    assert (await api.get("/groups/circle/verified")).json()["verified"] == []
    assert "Nurse" not in await page(group_url)


async def _cli_setup(pool: asyncpg.Pool) -> None:
    await create_actor(pool, kind="Person", username="ada", name="Ada", role="admin")
    await create_actor(pool, kind="Person", username="pat", name="Pat", role="professional")
    await create_actor(pool, kind="Group", username="circle", name="Circle")
    await follows.upsert_follow(
        pool, "https://m.example/users/alice", "http://127.0.0.1:8080/groups/circle",
        "https://m.example/follows/1", "accepted",
    )  # fmt: skip


async def test_the_cli_verifies_staff_and_marks_members(
    db_pool: asyncpg.Pool, database_url: str, tmp_path: Any
) -> None:
    await _cli_setup(db_pool)
    env = clean_env(DATABASE_URL=database_url, PEERHAVEN_BASE_URL="http://127.0.0.1:8080")
    where = ("--data-dir", str(tmp_path))

    async def cli(*args: str) -> Any:
        return await asyncio.to_thread(peerhaven, *args, *where, env=env)

    done = await cli("user", "verify", "pat", "--credential", "Licensed counsellor", "--by", "ada")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "verified: pat: Licensed counsellor (by ada)"
    not_admin = await cli("user", "verify", "pat", "--credential", "x", "--by", "pat")
    assert not_admin.returncode == 1 and "'pat' is not an admin" in not_admin.stderr
    not_professional = await cli("user", "verify", "ada", "--credential", "x", "--by", "ada")
    assert not_professional.returncode == 1
    assert "only staff with the professional role" in not_professional.stderr
    row = await db_pool.fetchrow("SELECT credential, verified_by FROM staff_verifications")
    assert tuple(row) == ("Licensed counsellor", "ada")

    alice = "https://m.example/users/alice"
    marked = await cli("group", "verify", "circle", alice, "--role", "peer_supporter",
                       "--credential", "Trained peer supporter")  # fmt: skip
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout.startswith("Verified peer supporter in circle: " + alice)
    stranger = await cli("group", "verify", "circle", "https://m.example/users/bob",
                         "--role", "professional", "--credential", "x")  # fmt: skip
    assert stranger.returncode == 1 and "not a member of circle" in stranger.stderr
    assert (await cli("group", "unverify", "circle", alice)).returncode == 0
    assert (await cli("user", "unverify", "pat")).returncode == 0
    assert await db_pool.fetchval("SELECT count(*) FROM group_verified_members") == 0
    assert await db_pool.fetchval("SELECT count(*) FROM staff_verifications") == 0
    logged = await db_pool.fetch("SELECT action, who FROM audit_log ORDER BY id")
    assert [r["action"] for r in logged] == [
        "staff_verify", "member_verify", "member_unverify", "staff_unverify"
    ]  # fmt: skip
    assert all(r["who"].startswith("cli") for r in logged)
