"""Like, Dislike, EmojiReact and Announce of an object: recorded once per activity id."""

from __future__ import annotations

import asyncpg

from federation import relay
from federation.activities.base import require_object_id
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import objects


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> str:
    return require_object_id(activity)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: str, conn: asyncpg.Connection
) -> str:
    new = await objects.add_reaction(
        conn,
        activity_uri=activity.id,
        type=activity.type,
        actor_uri=activity.actor,
        object_uri=prepared,
        content=activity.content,
    )
    if not new:
        return "already recorded"
    forwarded = (
        await relay.forward(ctx, conn, prepared, activity) if activity.type == "Like" else []
    )
    return "; ".join([f"{activity.type.lower()} recorded", *forwarded])
