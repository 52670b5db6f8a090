"""Undo of Follow, Like, Announce, EmojiReact or Block: only the actor may undo its own."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop, inner_activity, require_object_id
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import follows, objects

UNDOABLE = frozenset({"Follow", "Like", "Dislike", "EmojiReact", "Announce", "Block"})


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> None:
    inner = inner_activity(activity)
    if inner is not None:
        if inner.actor != activity.actor:
            raise Drop("not_own_activity")
        if inner.type not in UNDOABLE:
            raise Drop(f"cannot_undo_{inner.type.lower()}")
    require_object_id(activity)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: None, conn: asyncpg.Connection
) -> str:
    undone_id = require_object_id(activity)
    follow = await follows.follow_by_activity(conn, undone_id)
    inner = inner_activity(activity)
    if follow is None and inner is not None and inner.type == "Follow" and inner.object_id:
        # Some peers re-mint the Follow's id in the Undo; match on the pair instead.
        follow = await follows.follow_between(conn, activity.actor, inner.object_id)
    if follow is not None:
        if follow.follower_uri != activity.actor:
            raise Drop("not_own_activity")
        await follows.delete_follow(conn, follow.follower_uri, follow.followee_uri)
        return "unfollowed"
    if await objects.remove_reaction(conn, undone_id, activity.actor):
        return "reaction undone"
    if await objects.remove_block(conn, undone_id, activity.actor):
        return "block undone"
    return "nothing to undo"
