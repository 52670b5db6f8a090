"""Follow of one of our actors: recorded, and accepted at once unless the actor approves
followers by hand (then a moderator decides later)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation import outbox
from federation.activities.base import Drop, local_actor_at, require_object_id
from federation.context import FederationContext
from federation.nodeinfo import learn_software
from federation.screening import Verdict
from federation.wire import Activity
from storage import bans, follows, group_notes
from storage.actors import LocalActor, RemoteActor


@dataclass(frozen=True)
class Prepared:
    target: LocalActor
    follower: RemoteActor
    needs_approval: bool  # a limited account, or one on a silenced domain


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> Prepared:
    target = await local_actor_at(ctx, require_object_id(activity))
    if target is None or target.kind == "Application":
        raise Drop("not_a_followable_local_actor")
    follower = await ctx.directory.get_actor(activity.actor)
    # What its server runs decides which relay form it gets (best effort: unknown = Mastodon).
    await learn_software(ctx, activity.actor)
    limited = await ctx.moderation.needs_approval(activity.actor, follower.domain)
    return Prepared(target, follower, limited)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Prepared, conn: asyncpg.Connection
) -> str:
    target = prepared.target
    target_uri = outbox.actor_id(ctx, target)
    banned = await bans.active_reason(conn, target.id, activity.actor)
    if target.kind == "Group" and banned is not None:
        # A banned member cannot come back by following again.
        reject = outbox.new_activity(
            ctx,
            target,
            "Reject",
            outbox.follow_object(activity.id, activity.actor, target_uri),
            to=[activity.actor],
        )
        await outbox.send(ctx, conn, target, reject, [prepared.follower.inbox])
        return "follow rejected: banned"
    manual = target.manually_approves_followers or prepared.needs_approval
    state = "pending" if manual else "accepted"
    if (
        target.kind == "Group"
        and target.visibility == "members"
        and not await group_notes.member_on(conn, target_uri, prepared.follower.domain)
    ):
        # A members-only group's posts go to every server that has a member: the first
        # member from a new server waits for a moderator's confirmation, even in open groups.
        state = "pending"
    follow = await follows.upsert_follow(conn, activity.actor, target_uri, activity.id, state)
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
    accepted = outbox.follow_object(follow.id, follow.actor, outbox.actor_id(ctx, target))
    accept = outbox.new_activity(ctx, target, "Accept", accepted, to=[follow.actor])
    await outbox.send(ctx, conn, target, accept, [follower.inbox])
