"""Reject of a Follow one of our actors sent (or the end of an accepted one)."""

from __future__ import annotations

import asyncpg

from federation.activities.accept import find_our_follow
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import follows
from storage.follows import Follow


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> Follow:
    return await find_our_follow(ctx, activity)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Follow, conn: asyncpg.Connection
) -> str:
    await follows.delete_follow(conn, prepared.follower_uri, prepared.followee_uri)
    return "follow rejected by remote actor"
