"""Accept (or Reject) of a Follow one of our actors sent."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop, inner_activity, require_object_id
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import follows
from storage.follows import Follow


async def find_our_follow(ctx: FederationContext, activity: Activity) -> Follow:
    """The follow this answers: by the Follow's id, else by (embedded follower, the actor).
    Only the followed actor may answer it."""
    follow = await follows.follow_by_activity(ctx.pool, require_object_id(activity))
    inner = inner_activity(activity)
    if follow is None and inner is not None and inner.type == "Follow":
        follow = await follows.follow_between(ctx.pool, inner.actor, activity.actor)
    if follow is None:
        raise Drop("unknown_follow")
    if follow.followee_uri != activity.actor or not ctx.urls.is_local(follow.follower_uri):
        raise Drop("not_the_followed_actor")
    return follow


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> Follow:
    return await find_our_follow(ctx, activity)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Follow, conn: asyncpg.Connection
) -> str:
    await follows.set_state(conn, prepared.id, "accepted")
    return "follow accepted by remote actor"
