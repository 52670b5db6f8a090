"""One of our actors follows a remote actor: a pending follow and a queued Follow, committed
together; the remote Accept (inbox) makes it accepted."""

from __future__ import annotations

from federation import outbox
from federation.context import FederationContext
from storage import follows
from storage.actors import LocalActor
from storage.follows import Follow


async def follow_remote(ctx: FederationContext, local: LocalActor, target_uri: str) -> Follow:
    target = await ctx.directory.get_actor(target_uri)
    follow = outbox.new_activity(ctx, local, "Follow", target.uri, to=[target.uri])
    async with ctx.pool.acquire() as conn, conn.transaction():
        record = await follows.upsert_follow(
            conn, outbox.actor_id(ctx, local), target.uri, follow["id"], "pending"
        )
        if record.state == "accepted":
            return record
        await outbox.send(ctx, conn, local, follow, [target.inbox])
    return record
