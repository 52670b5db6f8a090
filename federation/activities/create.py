"""Create of a Note, Article, Page or Question: stored, and relayed by the groups it is for
(``federation.relay``)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation import direct, relay
from federation.activities.base import Drop
from federation.activities.objects import resolve_post, store_post
from federation.context import FederationContext
from federation.nodeinfo import learn_software
from federation.screening import Verdict
from federation.wire import Activity, APObject
from storage import objects


@dataclass(frozen=True)
class Prepared:
    post: APObject
    decisions: list[relay.RelayDecision]
    author_inbox: str | None
    author_software: str | None
    # A direct message to one of our groups that a handler took (an anonymous submission).
    direct: direct.Taken | None = None


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> Prepared:
    post = await resolve_post(ctx, activity)
    existing = await objects.get_object(ctx.pool, post.id)
    if existing is not None and existing["deleted_at"] is not None:
        raise Drop("object_was_deleted")  # a late or replayed Create cannot resurrect it
    taken = await direct.dispatch(ctx, activity, post)
    if taken is not None:
        return Prepared(post, [], None, None, taken)
    decisions = await relay.decide(ctx, activity, post, verdict)
    author_inbox = author_software = None
    if any(not d.relay and not d.held for d in decisions):
        author_inbox = (await ctx.directory.get_actor(activity.actor)).inbox
        author_software = await learn_software(ctx, activity.actor)
    return Prepared(post, decisions, author_inbox, author_software)


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Prepared, conn: asyncpg.Connection
) -> str:
    if prepared.direct is not None:
        # The handler keeps what it needs: a private message is not stored as a post.
        return await prepared.direct.apply(ctx, conn)
    post = prepared.post
    await store_post(conn, post, activity.actor)
    outcomes = await relay.apply(
        ctx, conn, activity, post, prepared.decisions, prepared.author_inbox,
        prepared.author_software,
    )  # fmt: skip
    return "; ".join([f"{post.type.lower()} stored", *outcomes])
