"""Delete of a post (only by its author) or of an actor (drop its follows and content); the
groups that relayed the post withdraw it, and what waited for review (held posts, anonymous
submissions not yet published) is withdrawn."""

from __future__ import annotations

import asyncpg

from federation import relay
from federation.activities.base import Drop, require_object_id
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import actors, anonymous, follows, group_posts, objects, review


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> str:
    object_id = require_object_id(activity)
    if object_id == activity.actor:
        return "actor"
    author = await objects.object_author(ctx.pool, object_id)
    if author is None:
        # Never stored because it was held for review: the author takes it back.
        if await review.has_pending(ctx.pool, object_id, activity.actor):
            return "held"
        if await anonymous.pending_from(ctx.pool, activity.actor, object_id):
            return "anonymous"
        raise Drop("unknown_object")
    if author != activity.actor:
        raise Drop("not_author")
    return "object"


async def receive(
    ctx: FederationContext, activity: Activity, prepared: str, conn: asyncpg.Connection
) -> str:
    if prepared == "actor":
        await review.withdraw(conn, activity.actor)
        await anonymous.withdraw(conn, activity.actor)
        relayed = await group_posts.relayed_objects_of(conn, activity.actor)
        withdrawn = await relay.withdraw(ctx, conn, relayed, delete=dict(activity.raw))
        dropped = await follows.delete_follows_of(conn, activity.actor)
        removed = await objects.delete_objects_of(conn, activity.actor)
        await actors.mark_remote_actor_deleted(conn, activity.actor)
        return (
            f"actor deleted ({dropped} follows, {removed} objects removed, "
            f"{len(withdrawn)} relays withdrawn)"
        )
    object_id = require_object_id(activity)
    if prepared == "anonymous":
        # Said as of any held message: operators read it beside the author's activity.
        await anonymous.withdraw(conn, activity.actor, object_id)
        return "held message withdrawn by its author"
    withdrawn_held = await review.withdraw(conn, activity.actor, object_id)
    if prepared == "held":
        return f"held post withdrawn ({withdrawn_held} review items)"
    await objects.tombstone_object(conn, object_id)
    withdrawn = await relay.withdraw(ctx, conn, [object_id], delete=dict(activity.raw))
    return "; ".join(["object deleted", *withdrawn])
