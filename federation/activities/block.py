"""Block of one of our actors by a remote actor: recorded (we stop delivering to it)."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop, local_actor_at, require_object_id
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import follows, objects


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> str:
    target = require_object_id(activity)
    if await local_actor_at(ctx, target) is None:
        raise Drop("not_a_local_actor")
    return target


async def receive(
    ctx: FederationContext, activity: Activity, prepared: str, conn: asyncpg.Connection
) -> str:
    await objects.add_block(
        conn, activity_uri=activity.id, actor_uri=activity.actor, target_uri=prepared
    )
    # A block ends follows both ways, as in Mastodon.
    await follows.delete_follow(conn, activity.actor, prepared)
    await follows.delete_follow(conn, prepared, activity.actor)
    return "block recorded"
