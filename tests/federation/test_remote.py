"""Remote actors and keys: cached, refreshed after 24 hours, refetched when a key rotates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.remote import RemoteDirectory, RemoteError
from federation.signatures.keys import generate_rsa_keypair
from tests.conftest import LiveServer
from tests.peer import Peer


def directory_at(live_server: LiveServer, when: datetime) -> RemoteDirectory:
    ctx = live_server.federation
    return RemoteDirectory(ctx.pool, ctx.fetcher, ctx.urls, lambda: when)


def actor_fetches(peer: Peer) -> int:
    return sum(1 for url in peer.requests if url.endswith("/users/alice"))


async def test_actor_cache_is_refreshed_after_24_hours(live_server: LiveServer, peer: Peer) -> None:
    alice = peer.actors["alice"]
    now = datetime.now(UTC)
    await directory_at(live_server, now).get_actor(alice.actor_id)
    assert actor_fetches(peer) == 1
    await directory_at(live_server, now + timedelta(hours=23)).get_actor(alice.actor_id)
    assert actor_fetches(peer) == 1  # served from the cache
    alice.extra["name"] = "Renamed"
    fresh = await directory_at(live_server, now + timedelta(hours=25)).get_actor(alice.actor_id)
    assert actor_fetches(peer) == 2
    assert fresh.name == "Renamed"


async def test_rotated_key_is_refetched_once(live_server: LiveServer, peer: Peer) -> None:
    alice = peer.actors["alice"]
    directory = directory_at(live_server, datetime.now(UTC))
    old = await directory.get_key(alice.key_id)
    alice.private_pem, alice.public_pem = generate_rsa_keypair()
    assert (await directory.get_key(alice.key_id)).public_key_pem == old.public_key_pem  # cached
    rotated = await directory.get_key(alice.key_id, refresh=True)
    assert rotated.public_key_pem == alice.public_pem != old.public_key_pem


async def test_a_key_the_actor_does_not_list_is_refused(
    live_server: LiveServer, peer: Peer
) -> None:
    alice = peer.actors["alice"]
    directory = directory_at(live_server, datetime.now(UTC))
    with pytest.raises(RemoteError) as caught:
        await directory.get_key(f"{alice.actor_id}#other-key")
    assert caught.value.reason == "key_not_listed"


async def test_actor_served_with_an_id_on_another_host_is_refused(
    live_server: LiveServer, peer: Peer
) -> None:
    alice = peer.actors["alice"]
    alice.extra["id"] = "https://victim.example/users/alice"
    with pytest.raises(RemoteError) as caught:
        await directory_at(live_server, datetime.now(UTC)).get_actor(alice.actor_id)
    assert caught.value.reason == "origin_mismatch"
