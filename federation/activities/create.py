"""Create of a Note, Article, Page or Question: stored (the group relay acts on it later)."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop
from federation.activities.objects import resolve_post, store_post
from federation.context import FederationContext
from federation.wire import Activity, APObject
from storage import objects


async def verify(ctx: FederationContext, activity: Activity) -> APObject:
    post = await resolve_post(ctx, activity)
    existing = await objects.get_object(ctx.pool, post.id)
    if existing is not None and existing["deleted_at"] is not None:
        raise Drop("object_was_deleted")  # a late or replayed Create cannot resurrect it
    return post


async def receive(
    ctx: FederationContext, activity: Activity, prepared: APObject, conn: asyncpg.Connection
) -> str:
    await store_post(conn, prepared, activity.actor)
    return f"{prepared.type.lower()} stored"
