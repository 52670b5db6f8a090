"""The inbox over real HTTP: our server on 127.0.0.1, a peer on localhost, real signatures.

Every refusal is a 4xx with a named reason, and stores nothing (the Takahe trap: a check that
never ran because nothing ever posted a bad signature).
"""

from __future__ import annotations

import json
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from federation.local import create_actor
from federation.signatures.digest import digest_header
from federation.signatures.keys import generate_rsa_keypair
from storage import domain_blocks
from tests.conftest import LiveServer, start_live_server
from tests.peer import Peer


@pytest.fixture
async def group_url(live_server: LiveServer) -> str:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    return f"{live_server.base_url}/groups/circle"


async def stored_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM inbox_activities"))


async def test_follow_is_accepted_and_the_accept_is_signed(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    follow = peer.follow(alice, group_url)
    status, answer = await peer.post(f"{group_url}/inbox", follow, actor=alice)
    assert status == 202, answer
    await live_server.run_workers()

    row = await live_server.pool.fetchrow("SELECT * FROM follows")
    assert (row["follower_uri"], row["followee_uri"], row["state"]) == (
        alice.actor_id, group_url, "accepted"
    )  # fmt: skip
    [received] = peer.received
    assert received.path == "/users/alice/inbox"
    assert received.verification.ok, received.verification.detail
    assert received.verification.key_owner == group_url
    assert received.body["type"] == "Accept"
    assert received.body["actor"] == group_url
    assert received.body["object"]["id"] == follow["id"]

    async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
        collection = (await http.get(f"{group_url}/followers")).json()
        page = (await http.get(collection["first"])).json()
        following = (await http.get(f"{group_url}/following")).json()
    assert collection["totalItems"] == 1
    assert page["orderedItems"] == [alice.actor_id]
    assert following["totalItems"] == 0


async def test_same_activity_twice_is_processed_once(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    follow = peer.follow(alice, group_url)
    assert (await peer.post(f"{group_url}/inbox", follow, actor=alice))[0] == 202
    assert (await peer.post(f"{live_server.base_url}/inbox", follow, actor=alice))[0] == 202
    assert await stored_count(live_server.pool) == 1
    await live_server.run_workers()
    assert len(peer.received) == 1


async def test_undo_follow(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice = peer.actors["alice"]
    follow = peer.follow(alice, group_url)
    await peer.post(f"{group_url}/inbox", follow, actor=alice)
    await live_server.run_workers()
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(alice, "Undo"),
        "type": "Undo",
        "actor": alice.actor_id,
        "object": follow,
    }
    assert (await peer.post(f"{group_url}/inbox", undo, actor=alice))[0] == 202
    await live_server.run_workers()
    assert await live_server.pool.fetchval("SELECT count(*) FROM follows") == 0


# --- refusals: each a 4xx with its reason, nothing stored ---------------------------------


async def expect_refusal(
    live_server: LiveServer, status: int, answer: dict[str, Any], want: int, reason: str
) -> None:
    assert status == want, answer
    assert answer.get("error") == reason, answer
    assert await stored_count(live_server.pool) == 0


async def test_unsigned_post(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    body = peer.follow(peer.actors["alice"], group_url)
    status, answer = await peer.post(
        f"{group_url}/inbox", body, headers={"Content-Type": "application/activity+json"}
    )
    await expect_refusal(live_server, status, answer, 401, "no_signature")


async def test_bad_signature(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice = peer.actors["alice"]
    raw = json.dumps(peer.follow(alice, group_url)).encode()
    other_private, _ = generate_rsa_keypair()  # signed with a key that is not alice's
    headers = peer.sign(alice, f"{group_url}/inbox", raw, private_pem=other_private)
    status, answer = await peer.post(f"{group_url}/inbox", raw, headers=headers)
    await expect_refusal(live_server, status, answer, 401, "bad_signature")


async def test_digest_mismatch(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice = peer.actors["alice"]
    raw = json.dumps(peer.follow(alice, group_url)).encode()
    headers = peer.sign(alice, f"{group_url}/inbox", raw)
    swapped = json.dumps(peer.follow(alice, group_url)).encode()  # another id, same length
    status, answer = await peer.post(f"{group_url}/inbox", swapped, headers=headers)
    await expect_refusal(live_server, status, answer, 401, "digest_mismatch")


async def test_signature_not_covering_digest(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    raw = json.dumps(peer.follow(alice, group_url)).encode()
    url = urlsplit(f"{group_url}/inbox")
    date = format_datetime(datetime.now(UTC), usegmt=True)
    # A valid signature by alice's key over (request-target) host date: the Digest is sent
    # and correct, but the signature does not cover it, so the body could have been swapped.
    signing_string = f"(request-target): post {url.path}\nhost: {url.netloc}\ndate: {date}"
    key = serialization.load_pem_private_key(alice.private_pem.encode(), None)
    signature = key.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Content-Type": "application/activity+json",
        "Date": date,
        "Digest": digest_header(raw),
        "Signature": f'keyId="{alice.key_id}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date",signature="{b64encode(signature).decode()}"',
    }
    status, answer = await peer.post(f"{group_url}/inbox", raw, headers=headers)
    await expect_refusal(live_server, status, answer, 401, "digest_not_signed")


@pytest.mark.parametrize(
    ("shift", "reason"), [(timedelta(hours=-13), "expired"), (timedelta(hours=2), "future")]
)
async def test_stale_and_future_date(
    live_server: LiveServer, peer: Peer, group_url: str, shift: timedelta, reason: str
) -> None:
    alice = peer.actors["alice"]
    raw = json.dumps(peer.follow(alice, group_url)).encode()
    headers = peer.sign(alice, f"{group_url}/inbox", raw, now=datetime.now(UTC) + shift)
    status, answer = await peer.post(f"{group_url}/inbox", raw, headers=headers)
    await expect_refusal(live_server, status, answer, 401, reason)


async def test_key_owner_is_not_the_actor(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    mallory = peer.add_actor("mallory")
    body = peer.follow(alice, group_url)  # claims to be alice, signed by mallory
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=mallory)
    await expect_refusal(live_server, status, answer, 401, "owner_mismatch")


async def test_body_over_one_mib(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    alice = peer.actors["alice"]
    body = peer.follow(alice, group_url)
    body["padding"] = "x" * (1024 * 1024)
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=alice)
    await expect_refusal(live_server, status, answer, 413, "body_too_large")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"type": "Follow", ', "invalid_json"),
        (b'[{"type": "Follow"}]', "not_an_object"),
    ],
)
async def test_invalid_json_and_arrays(
    live_server: LiveServer, peer: Peer, group_url: str, raw: bytes, reason: str
) -> None:
    status, answer = await peer.post(f"{group_url}/inbox", raw, actor=peer.actors["alice"])
    await expect_refusal(live_server, status, answer, 400, reason)


async def test_activity_without_id(live_server: LiveServer, peer: Peer, group_url: str) -> None:
    body = peer.follow(peer.actors["alice"], group_url)
    del body["id"]
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=peer.actors["alice"])
    await expect_refusal(live_server, status, answer, 400, "missing_id")


async def test_embedded_object_forged_for_another_host(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.new_id(alice, "Create"),
        "type": "Create",
        "actor": alice.actor_id,
        "object": {
            "id": "https://victim.example/notes/1",
            "type": "Note",
            "attributedTo": alice.actor_id,
            "content": "words put in someone else's mouth",
            "to": [group_url],
        },
    }
    status, answer = await peer.post(f"{group_url}/inbox", create, actor=alice)
    await expect_refusal(live_server, status, answer, 400, "forged_object")


async def test_blocked_domain_is_refused_without_any_fetch(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    await domain_blocks.add(live_server.pool, "localhost")
    body = peer.follow(peer.actors["alice"], group_url)
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=peer.actors["alice"])
    await expect_refusal(live_server, status, answer, 403, "domain_blocked")
    assert peer.requests == []  # not even the key was fetched


async def test_unknown_inbox_and_wrong_content_type(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    alice = peer.actors["alice"]
    body = peer.follow(alice, group_url)
    status, _ = await peer.post(f"{live_server.base_url}/groups/nope/inbox", body, actor=alice)
    assert status == 404
    raw = json.dumps(body).encode()
    headers = {**peer.sign(alice, f"{group_url}/inbox", raw), "Content-Type": "text/plain"}
    status, answer = await peer.post(f"{group_url}/inbox", raw, headers=headers)
    await expect_refusal(live_server, status, answer, 415, "unsupported_media_type")


async def test_key_fetch_that_resolves_to_a_private_address(
    database_url: str, tmp_path: Path, peer: Peer
) -> None:
    # A production-like server: private and loopback addresses refused. The peer's key lives
    # at localhost (127.0.0.1), so fetching it must be refused before any request is sent.
    async with start_live_server(database_url, tmp_path / "prod", allow_private=False) as prod:
        await create_actor(prod.pool, kind="Group", username="circle", name="Circle")
        alice = peer.actors["alice"]
        body = peer.follow(alice, f"{prod.base_url}/groups/circle")
        status, answer = await peer.post(f"{prod.base_url}/groups/circle/inbox", body, actor=alice)
        await expect_refusal(prod, status, answer, 401, "key_fetch_failed")
    assert "private_address" in answer["detail"]
    assert peer.requests == []


async def test_nul_characters_are_refused(
    live_server: LiveServer, peer: Peer, group_url: str
) -> None:
    body = peer.follow(peer.actors["alice"], group_url)
    body["summary"] = "a\u0000b"
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=peer.actors["alice"])
    await expect_refusal(live_server, status, answer, 400, "invalid_json")


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"s": "\\ud800"}'])
async def test_json_postgres_cannot_store_is_a_400(
    live_server: LiveServer, peer: Peer, group_url: str, raw: bytes
) -> None:
    body = json.dumps(peer.follow(peer.actors["alice"], group_url)).encode()
    body = body[:-1] + b", " + raw[1:]  # the extra field inside the signed activity
    status, answer = await peer.post(f"{group_url}/inbox", body, actor=peer.actors["alice"])
    await expect_refusal(live_server, status, answer, 400, "invalid_json")
