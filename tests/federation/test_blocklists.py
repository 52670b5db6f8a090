"""Shared blocklists end to end: three subscriptions served by a local HTTP server merged by
consensus, conditional GETs, retractions and the circuit breaker; and a suspension enforced
between two PeerHaven servers, with its impact previewed before it was approved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from federation import outbox
from federation.following import follow_remote
from federation.local import create_actor
from moderation.blocklists.model import digest_of
from storage import actors
from tests.conftest import LiveServer

MASTODON_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


@dataclass
class ListServer:
    """Published lists at /NAME, with ETag and Last-Modified, answering conditional GETs."""

    base_url: str = ""
    lists: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str | None, int]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = self.lists.get(name)
        if body is None:
            self.requests.append((name, None, 404))
            return web.Response(status=404)
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        asked = request.headers.get("If-None-Match")
        status = 304 if asked == etag else 200
        self.requests.append((name, asked, status))
        headers = {"ETag": etag, "Last-Modified": "Sun, 06 Dec 2026 10:00:00 GMT"}
        if status == 304:
            return web.Response(status=304, headers=headers)
        return web.Response(text=body, headers=headers, content_type="text/plain")


@pytest.fixture
async def lists() -> AsyncIterator[ListServer]:
    served = ListServer()
    app = web.Application()
    app.router.add_get("/{name}", served.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    served.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield served
    finally:
        await runner.cleanup()


def mastodon_csv(*rows: tuple[str, str]) -> str:
    return MASTODON_HEADER + "".join(f"{d},{s},false,false,{d} is bad,false\n" for d, s in rows)


def mastodon_json(*rows: tuple[str, str]) -> str:
    return json.dumps([{"domain": d, "digest": digest_of(d), "severity": s, "comment": "b"}
                       for d, s in rows])  # fmt: skip


async def ok(api: httpx.AsyncClient, method: str, path: str, **body: Any) -> Any:
    answer = await api.request(method, path, json=body or None)
    assert answer.status_code in (200, 201), (path, answer.text)
    return answer.json()


async def subscribe_three(api: httpx.AsyncClient, lists: ListServer) -> None:
    lists.lists.update(
        a=mastodon_csv(("spam.example", "suspend"), ("loud.example", "silence"),
                       ("a-only.example", "suspend")),
        b=mastodon_json(("spam.example", "silence"), ("loud.example", "silence")),
        c="# c's list\nspam.example\nloud.example\nc-only.example\n",
    )  # fmt: skip
    for name, cap in (("a", "suspend"), ("b", "suspend"), ("c", "silence")):
        await ok(api, "POST", "/blocklist/subscriptions", url=f"{lists.base_url}/{name}",
                 name=name, severity_cap=cap)  # fmt: skip


async def pending(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {c["domain"]: c for c in await ok(api, "GET", "/blocklist/pending")}


async def test_three_subscriptions_merge_by_consensus(
    live_server: LiveServer, api: httpx.AsyncClient, lists: ListServer
) -> None:
    await ok(api, "PUT", "/blocklist/settings", threshold=2, merge="max")
    await subscribe_three(api, lists)
    report = await ok(api, "POST", "/blocklist/sync")
    assert report["sources"] == {"a": "updated: 3 entries", "b": "updated: 2 entries",
                                 "c": "updated: 3 entries"}  # fmt: skip
    changes = await pending(api)
    # Listed by two sources or more (each weighs 1); a-only and c-only are not candidates.
    assert set(changes) == {"spam.example", "loud.example"}
    spam = changes["spam.example"]
    assert (spam["kind"], spam["proposed"]["severity"]) == ("add", "suspend")  # max
    assert sorted((s["source"], s["severity"]) for s in spam["sources"]) == [
        ("a", "suspend"), ("b", "silence"), ("c", "silence"),  # c capped at silence
    ]  # fmt: skip
    assert all(s["since"] for s in spam["sources"])
    assert changes["loud.example"]["proposed"]["severity"] == "silence"

    await ok(api, "PUT", "/blocklist/settings", merge="min")
    lists.requests.clear()
    await ok(api, "POST", "/blocklist/sync")
    # Unchanged lists: each fetch was conditional and answered 304...
    assert sorted(lists.requests) == [
        (name, asked, 304) for name, asked, _ in sorted(lists.requests)
    ] and all(asked for _, asked, _ in lists.requests)
    # ...and only the merge changed: spam is now proposed at the mildest word.
    assert (await pending(api))["spam.example"]["proposed"]["severity"] == "silence"
    before = await pending(api)
    await ok(api, "POST", "/blocklist/sync")
    assert await pending(api) == before  # nothing changes without a change

    approved = await ok(api, "POST", "/blocklist/pending", approve="all")
    assert {a["domain"] for a in approved["approved"]} == {"spam.example", "loud.example"}
    why = await ok(api, "GET", "/blocklist/why?domain=www.spam.example")
    assert why["blocked"] and why["rule"]["domain"] == "spam.example"
    assert why["rule"]["source"] == "subscriptions"
    assert sorted(s["source"] for s in why["sources"]) == ["a", "b", "c"]

    # A domain the sources drop is proposed for retraction.
    lists.lists.update(a=mastodon_csv(("spam.example", "suspend"), ("a-only.example", "suspend")),
                       b=mastodon_json(("spam.example", "silence")))  # fmt: skip
    await ok(api, "POST", "/blocklist/sync")
    changes = await pending(api)
    assert changes["loud.example"]["kind"] == "retract"

    # Dismissed stays dismissed until the sources change again.
    dismissed = await ok(api, "POST", "/blocklist/pending", dismiss=[changes["loud.example"]["id"]])
    assert dismissed["dismissed"] == 1
    await ok(api, "POST", "/blocklist/sync")
    assert "loud.example" not in await pending(api)


async def test_a_list_that_changes_too_much_is_held_whole(
    live_server: LiveServer, api: httpx.AsyncClient, lists: ListServer
) -> None:
    await ok(api, "PUT", "/blocklist/settings", threshold=1, max_change_share=0.5)
    lists.lists["a"] = mastodon_csv(*((f"d{i}.example", "suspend") for i in range(4)))
    await ok(api, "POST", "/blocklist/subscriptions", url=f"{lists.base_url}/a", name="a")
    await ok(api, "POST", "/blocklist/sync")
    assert len(await pending(api)) == 4
    lists.lists["a"] = mastodon_csv(*((f"new{i}.example", "suspend") for i in range(4)))
    report = await ok(api, "POST", "/blocklist/sync")
    assert "held for review" in report["sources"]["a"]
    assert set(await pending(api)) == {f"d{i}.example" for i in range(4)}  # nothing moved
    [source] = await ok(api, "GET", "/blocklist/subscriptions")
    assert source["held"] and source["last_status"] == "held"
    # It stays held: the next sync asks for the list again (not a 304) and holds it again.
    lists.requests.clear()
    report = await ok(api, "POST", "/blocklist/sync")
    assert lists.requests[0][2] == 200 and "held" in report["sources"]["a"]
    [source] = await ok(api, "GET", "/blocklist/subscriptions")
    assert source["held"]
    await ok(api, "POST", "/blocklist/release", name="a")
    assert set(await pending(api)) == {f"new{i}.example" for i in range(4)}


async def test_a_suspension_between_two_peerhaven_servers(
    live_server: LiveServer, server_b: LiveServer, group_url: str, api: httpx.AsyncClient,
    lists: ListServer,
) -> None:  # fmt: skip
    bob = await create_actor(server_b.pool, kind="Person", username="bob", name="Bob")
    bob_uri = f"{server_b.base_url}/users/bob"
    await follow_remote(server_b.federation, bob, group_url)
    for _ in range(3):
        await server_b.run_workers()
        await live_server.run_workers()
    member = "SELECT count(*) FROM follows WHERE follower_uri = $1 AND state = 'accepted'"
    assert await live_server.pool.fetchval(member, bob_uri) == 1

    # Something queued for B that A has not delivered yet.
    group = await actors.local_actor_by_username(live_server.pool, "circle")
    assert group is not None
    note = outbox.new_activity(live_server.federation, group, "Update", group_url, to=[bob_uri])
    assert await outbox.send(live_server.federation, live_server.pool, group, note,
                             [f"{server_b.base_url}/inbox"]) is not None  # fmt: skip

    lists.lists["a"] = mastodon_csv(("127.0.0.2", "suspend"))
    await ok(api, "POST", "/blocklist/subscriptions", url=f"{lists.base_url}/a", name="a",
             auto_apply=True)  # fmt: skip
    await ok(api, "POST", "/blocklist/sync")
    # Auto-apply does not suspend a domain where we have members: it waits, with its impact.
    [change] = await ok(api, "GET", "/blocklist/pending")
    impact = change["impact"]
    assert impact["groups"] == {"circle": 1}
    assert impact["followers"] == [{"actor": bob_uri, "follows": group_url}]
    assert impact["queued_deliveries"] >= 1
    assert await live_server.pool.fetchval(member, bob_uri) == 1  # nothing applied yet

    await ok(api, "POST", "/blocklist/pending", approve=[change["id"]])
    assert await live_server.pool.fetchval(member, bob_uri) == 0  # the follower is gone

    # B's next POST is refused before A fetches anything.
    fetched: list[str] = []
    fetcher = live_server.federation.fetcher
    original = fetcher.get_json

    async def recording(url: str) -> Any:
        fetched.append(url)
        return await original(url)

    fetcher.get_json = recording  # type: ignore[method-assign]
    hello = outbox.new_activity(server_b.federation, bob, "Follow", group_url, to=[group_url])
    raw = json.dumps(hello).encode()
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{group_url}/inbox", content=raw,
            headers={"Content-Type": "application/activity+json",
                     "Signature": f'keyId="{bob_uri}#main-key",signature="x"'},
        )  # fmt: skip
    assert answer.status_code == 403 and answer.json()["error"] == "domain_blocked"
    assert fetched == []
    # Its signed fetches of our actors are refused too.
    async with httpx.AsyncClient() as http:
        signed_get = await http.get(
            group_url, headers={"Accept": "application/activity+json",
                                "Signature": f'keyId="{bob_uri}#main-key",signature="x"'},
        )  # fmt: skip
        plain_get = await http.get(group_url, headers={"Accept": "application/activity+json"})
    assert signed_get.status_code == 403 and plain_get.status_code == 200

    # Deliveries to B stop: what was queued is dropped, and nothing new is queued for it.
    server_b_received = "SELECT count(*) FROM inbox_activities WHERE type = 'Update'"
    await live_server.run_workers()
    await server_b.run_workers()
    assert await server_b.pool.fetchval(server_b_received) == 0
    again = outbox.new_activity(live_server.federation, group, "Update", group_url, to=[bob_uri])
    assert await outbox.send(live_server.federation, live_server.pool, group, again,
                             [f"{server_b.base_url}/inbox"]) is None  # fmt: skip


async def test_a_suspension_spares_allowed_and_milder_subdomains(
    live_server: LiveServer, api: httpx.AsyncClient, group_url: str
) -> None:
    """The purge decides as every check does: an allow entry, or a milder rule for a
    subdomain, keeps that subdomain's members."""
    pool = live_server.pool
    for host in ("bad.example", "good.bad.example", "mild.bad.example"):
        uri = f"https://{host}/users/x"
        await pool.execute(
            "INSERT INTO remote_actors (uri, domain, type, inbox, document, fetched_at) "
            "VALUES ($1, $2, 'Person', $3, '{}', now())",
            uri, host, f"{uri}/inbox",
        )  # fmt: skip
        await pool.execute(
            "INSERT INTO follows (follower_uri, followee_uri, activity_uri, state) "
            "VALUES ($1, $2, $3, 'accepted')",
            uri, group_url, f"{uri}#follow",
        )  # fmt: skip
    await ok(api, "POST", "/domains", domain="good.bad.example", action="allow")
    await ok(api, "POST", "/domains", domain="mild.bad.example", action="block",
             severity="silence")  # fmt: skip
    answer = await ok(api, "POST", "/domains", domain="bad.example", action="block")
    assert answer["cut_off"] == ["bad.example"]
    followers = await pool.fetch("SELECT follower_uri FROM follows ORDER BY 1")
    assert [r["follower_uri"] for r in followers] == [
        "https://good.bad.example/users/x", "https://mild.bad.example/users/x",
    ]  # fmt: skip
    why = await ok(api, "GET", "/blocklist/why?domain=good.bad.example")
    assert not why["blocked"] and why["allowed_by"]["domain"] == "good.bad.example"


async def test_allowlist_mode_accepts_only_allowed_domains(
    live_server: LiveServer, api: httpx.AsyncClient, group_url: str, peer: Any
) -> None:
    alice = peer.actors["alice"]
    settings = await ok(api, "PUT", "/blocklist/settings", allowlist_mode=True)
    assert settings["allowlist_mode"] is True
    status, answer = await peer.post(f"{group_url}/inbox", peer.follow(alice, group_url),
                                     actor=alice)  # fmt: skip
    assert (status, answer["error"]) == (403, "domain_blocked")
    await ok(api, "POST", "/domains", domain="localhost", action="allow")
    status, _ = await peer.post(f"{group_url}/inbox", peer.follow(alice, group_url), actor=alice)
    assert status == 202
    await ok(api, "PUT", "/blocklist/settings", allowlist_mode=False)


async def test_subscriptions_leave_an_admins_blocks_theirs(
    live_server: LiveServer, api: httpx.AsyncClient, lists: ListServer
) -> None:
    await ok(api, "PUT", "/blocklist/settings", threshold=1)
    await ok(api, "POST", "/domains", domain="mine.example", action="block", severity="silence",
             reason="my own note", obfuscate=True)  # fmt: skip
    await ok(api, "POST", "/domains", domain="parent.example", action="block")
    lists.lists["a"] = mastodon_csv(("mine.example", "suspend"), ("sub.parent.example", "silence"))
    await ok(api, "POST", "/blocklist/subscriptions", url=f"{lists.base_url}/a", name="a")
    await ok(api, "POST", "/blocklist/sync")
    changes = await pending(api)
    # A milder rule for a subdomain of a suspended parent is never proposed.
    assert set(changes) == {"mine.example"} and changes["mine.example"]["kind"] == "raise"
    await ok(api, "POST", "/blocklist/pending", approve="all")
    row = await live_server.pool.fetchrow("SELECT * FROM domain_blocks WHERE domain = $1",
                                          "mine.example")  # fmt: skip
    # Raised, and still the admin's: their note, obfuscation and source kept.
    assert (row["severity"], row["source"], row["private_comment"], row["obfuscate"]) == (
        "suspend", "manual", "my own note", True,
    )  # fmt: skip
    lists.lists["a"] = mastodon_csv(("other.example", "suspend"))
    await ok(api, "PUT", "/blocklist/settings", max_change_share=10)
    await ok(api, "POST", "/blocklist/sync")
    assert "mine.example" not in await pending(api)  # never retracted by subscriptions
