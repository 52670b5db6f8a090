"""Our own actors: creating them with their keys, and signing as them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime

import asyncpg

from federation.signatures.cavage import CavageSigner
from federation.signatures.keys import generate_rsa_keypair
from federation.urls import INSTANCE_ACTOR_USERNAME, LocalUrls
from storage import actors
from storage.actors import LocalActor

# Lower-case letters, digits, '-' and '_': safe in a URL path and in acct:NAME@HOST, and what
# Mastodon and Lemmy accept as a name. Dots are reserved (the instance actor uses one).
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
STAFF_ROLES = ("admin", "moderator", "professional")
RESERVED_USERNAMES = frozenset({"actor", "inbox", "admin", "api", "nodeinfo", "well-known"})


class LocalActorError(ValueError):
    """A local actor cannot be created as asked; the message says why."""


def validate_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise LocalActorError(
            f"{username!r} is not a valid name: use 1-64 lower-case letters, digits, '-' or '_',"
            " starting with a letter or digit"
        )
    if username in RESERVED_USERNAMES:
        raise LocalActorError(f"{username!r} is reserved")
    return username


async def create_actor(
    pool: asyncpg.Pool | asyncpg.Connection,
    *,
    kind: str,
    username: str,
    name: str,
    summary: str = "",
    manually_approves_followers: bool = False,
    role: str | None = None,
) -> LocalActor:
    validate_username(username)
    if role is not None and (kind != "Person" or role not in STAFF_ROLES):
        raise LocalActorError(f"role must be one of {', '.join(STAFF_ROLES)} (staff only)")
    # RSA key generation takes ~50-100 ms of CPU; keep the event loop free.
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    actor = await actors.create_local_actor(
        pool,
        kind=kind,
        username=username,
        name=name or username,
        summary=summary,
        manually_approves_followers=manually_approves_followers,
        public_key_pem=public_pem,
        private_key_pem=private_pem,
        role=role,
    )
    if actor is None:
        raise LocalActorError(f"the name {username!r} is already taken")
    return actor


async def ensure_instance_actor(pool: asyncpg.Pool, instance_name: str) -> LocalActor:
    """The ``Application`` actor that signs our fetches; created once, on first start."""
    existing = await actors.instance_actor(pool)
    if existing is not None:
        return existing
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    await actors.create_local_actor(
        pool,
        kind="Application",
        username=INSTANCE_ACTOR_USERNAME,
        name=instance_name,
        public_key_pem=public_pem,
        private_key_pem=private_pem,
        manually_approves_followers=True,
    )
    # Two processes starting at once: the partial unique index lets one insert win.
    actor = await actors.instance_actor(pool)
    assert actor is not None
    return actor


def signer_for(actor: LocalActor, urls: LocalUrls, clock: Callable[[], datetime]) -> CavageSigner:
    actor_id = urls.actor(actor.kind, actor.username)
    return CavageSigner(urls.key_id(actor_id), actor.private_key_pem, clock)
