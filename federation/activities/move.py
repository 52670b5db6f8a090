"""Move of an account: believed only when the target, fetched from its origin, names the
old account in ``alsoKnownAs`` (Mastodon's rule); our actors that followed it follow the
new account."""

from __future__ import annotations

import asyncpg

from federation import outbox
from federation.activities.base import Drop, local_actor_at, require_object_id
from federation.context import FederationContext
from federation.remote import RemoteError
from federation.screening import Verdict
from federation.wire import Activity
from storage import actors, follows
from storage.actors import RemoteActor


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> RemoteActor:
    if require_object_id(activity) != activity.actor or not activity.target:
        raise Drop("not_own_account")
    try:
        target = await ctx.directory.refresh_actor(activity.target)
    except RemoteError as exc:
        raise Drop(f"target_fetch_failed:{exc.reason}") from None
    also_known_as = target.document.get("alsoKnownAs") or []
    if isinstance(also_known_as, str):
        also_known_as = [also_known_as]
    if activity.actor not in also_known_as:
        raise Drop("target_does_not_confirm_move")
    return target


async def receive(
    ctx: FederationContext, activity: Activity, prepared: RemoteActor, conn: asyncpg.Connection
) -> str:
    await actors.set_moved_to(conn, activity.actor, prepared.uri)
    moved = 0
    rows = await conn.fetch(
        "SELECT follower_uri FROM follows WHERE followee_uri = $1 AND state = 'accepted'",
        activity.actor,
    )
    for row in rows:
        local = await local_actor_at(ctx, row["follower_uri"])
        if local is None:
            continue
        follow = outbox.new_activity(ctx, local, "Follow", prepared.uri)
        await follows.upsert_follow(
            conn, row["follower_uri"], prepared.uri, follow["id"], "pending"
        )
        await outbox.send(ctx, conn, local, follow, [prepared.inbox])
        moved += 1
    return f"move recorded ({moved} local follows moved)"
