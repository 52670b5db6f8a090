"""Delivery test rig: remote followers whose inboxes are sink hosts, and sending as a group."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from bench.sink import SinkHost
from federation import outbox
from federation.context import FederationContext
from storage import actors, follows
from storage.actors import LocalActor, RemoteActor


async def add_followers(
    pool: asyncpg.Pool,
    followee_uri: str,
    host: SinkHost,
    count: int,
    *,
    shared_inbox: bool,
) -> list[str]:
    """``count`` remote followers on ``host``; their inbox URLs are returned."""
    inboxes = []
    for i in range(count):
        uri = f"http://{host.key}/users/u{i}"
        inbox = f"{uri}/inbox"
        await actors.upsert_remote_actor(
            pool,
            RemoteActor(
                uri=uri, domain=host.address, type="Person", preferred_username=f"u{i}",
                name=None, inbox=inbox,
                shared_inbox=f"http://{host.key}/inbox" if shared_inbox else None,
                followers_url=None, url=None, moved_to=None, document={"id": uri},
                fetched_at=datetime.now(UTC), deleted_at=None,
            ),
        )  # fmt: skip
        await follows.upsert_follow(pool, uri, followee_uri, f"{uri}#follow", "accepted")
        inboxes.append(inbox)
    return inboxes


async def post_as(ctx: FederationContext, sender: LocalActor, text: str) -> str:
    """A group activity to all its followers (stored once, as the relay will send it)."""
    note = {
        "id": f"{outbox.actor_id(ctx, sender)}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": outbox.actor_id(ctx, sender),
        "content": text,
    }
    activity = outbox.new_activity(ctx, sender, "Create", note)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await outbox.send(ctx, conn, sender, activity, [], to_followers=True)
    return activity["id"]
