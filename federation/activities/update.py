"""Update of an actor (refetch it from its origin) or of a post (only by its author)."""

from __future__ import annotations

import asyncpg

from federation import relay
from federation.activities.base import Drop, require_object_id
from federation.activities.objects import resolve_post, store_post
from federation.context import FederationContext
from federation.remote import RemoteError
from federation.screening import RewriteKind, Verdict
from federation.wire import Activity, ActorDoc, APObject
from storage import actors, objects

# The domain policy's avatar and banner removal: the fields dropped from what we keep.
_STRIPPED = {RewriteKind.STRIP_AVATAR: "icon", RewriteKind.STRIP_BANNER: "image"}


async def verify(
    ctx: FederationContext, activity: Activity, verdict: Verdict
) -> APObject | tuple[str, ...]:
    object_id = require_object_id(activity)
    if object_id == activity.actor or isinstance(activity.object, ActorDoc):
        if object_id != activity.actor:
            raise Drop("not_own_actor")
        try:
            # Believe the origin, not the payload: refetch (and re-cache its key).
            await ctx.directory.refresh_actor(activity.actor)
        except RemoteError as exc:
            raise Drop(f"actor_refresh_failed:{exc.reason}") from None
        return tuple(_STRIPPED[r.kind] for r in verdict.rewrites if r.kind in _STRIPPED)
    post = await resolve_post(ctx, activity)
    author = await objects.object_author(ctx.pool, post.id)
    if author is None:
        raise Drop("unknown_object")
    if author != activity.actor:
        raise Drop("not_author")
    return post


async def receive(
    ctx: FederationContext,
    activity: Activity,
    prepared: APObject | tuple[str, ...],
    conn: asyncpg.Connection,
) -> str:
    if isinstance(prepared, tuple):
        if prepared:
            await actors.strip_remote_actor_fields(conn, activity.actor, list(prepared))
            return f"actor refreshed ({', '.join(prepared)} removed by policy)"
        return "actor refreshed"
    await store_post(conn, prepared, activity.actor)
    forwarded = await relay.forward(ctx, conn, prepared.id, activity)
    return "; ".join([f"{prepared.type.lower()} updated", *forwarded])
