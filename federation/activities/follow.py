"""Follow of one of our actors: recorded, and accepted at once unless the actor approves
followers by hand (then a moderator decides later)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation import outbox
from federation.activities.base import Drop, local_actor_at, require_object_id
from federation.context import FederationContext
from federation.nodeinfo import learn_software
from federation.wire import Activity
from storage import follows
from storage.actors import LocalActor, RemoteActor


@dataclass(frozen=True)
class Prepared:
    target: LocalActor
    follower: RemoteActor


async def verify(ctx: FederationContext, activity: Activity) -> Prepared:
    target = await local_actor_at(ctx, require_object_id(activity))
    if target is None or target.kind == "Application":
        raise Drop("not_a_followable_local_actor")
    follower = await ctx.directory.get_actor(activity.actor)
    # What its server runs decides which relay form it gets (best effort: unknown = Mastodon).
    await learn_software(ctx, activity.actor)
    return Prepared(target, follower)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Prepared, conn: asyncpg.Connection
) -> str:
    target = prepared.target
    state = "pending" if target.manually_approves_followers else "accepted"
    follow = await follows.upsert_follow(
        conn, activity.actor, outbox.actor_id(ctx, target), activity.id, state
    )
    if follow.state == "pending":
        return "follow pending approval"
    await send_accept(ctx, conn, target, activity, prepared.follower)
    return "follow accepted"


async def send_accept(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    target: LocalActor,
    follow: Activity,
    follower: RemoteActor,
) -> None:
    # Embed the Follow as the follower sent it (id, actor, object): Mastodon and Fedify match
    # the Accept to their Follow by its id.
    accepted = {
        "id": follow.id,
        "type": "Follow",
        "actor": follow.actor,
        "object": outbox.actor_id(ctx, target),
    }
    accept = outbox.new_activity(ctx, target, "Accept", accepted, to=[follow.actor])
    await outbox.send(ctx, conn, target, accept, [follower.inbox])
