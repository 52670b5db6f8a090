"""A moderator's decision on a held post. Approved: relayed as if just accepted (a post the
instance's policies held goes back through the inbox worker, unscreened; one a group's
policies held is relayed by that group). Declined: the author gets the group's refusal
(``Reject``, and a direct message on Mastodon-family software). Both are audited."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation import relay
from federation.context import FederationContext
from federation.nodeinfo import learn_software
from federation.parse import parse_document
from federation.remote import RemoteError
from federation.wire import Activity, APObject
from storage import actors, audit, review
from storage.review import Item


class ReviewError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class Outcome:
    item: int
    state: str
    effects: list[str]


def _post(item: Item) -> tuple[Activity, APObject]:
    parsed = parse_document(item.payload)
    if not isinstance(parsed, Activity) or not isinstance(parsed.object, APObject):
        raise ReviewError(409, "the held activity is not a post")
    return parsed, parsed.object


async def _pending(ctx: FederationContext, item_id: int) -> Item:
    item = await review.get(ctx.pool, item_id)
    if item is None:
        raise ReviewError(404, f"no held item {item_id}")
    if item.state != "pending":
        raise ReviewError(409, f"item {item_id} was already {item.state}")
    return item


async def approve(ctx: FederationContext, item_id: int, *, who: str, note: str = "") -> Outcome:
    item = await _pending(ctx, item_id)
    effects: list[str] = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await review.decide(conn, item.id, state="approved", who=who, note=note):
            raise ReviewError(409, f"item {item_id} was decided meanwhile")
        await _audit(conn, item, "review_approve", who, note)
        if item.group_id is None:
            if item.inbox_id is None or not await review.requeue_approved(conn, item.inbox_id):
                raise ReviewError(409, "the held activity is no longer in the inbox queue")
            effects.append("queued again, approved")
        else:
            group = await actors.local_actor_by_id(conn, item.group_id)
            if group is None:
                raise ReviewError(404, "the group no longer exists")
            activity, post = _post(item)
            approved = relay.RelayDecision(group, True, "approved by a moderator")
            effects += await relay.apply(ctx, conn, activity, post, [approved], None)
    ctx.inbox_wakeup.set()
    return Outcome(item.id, "approved", effects)


async def decline(ctx: FederationContext, item_id: int, *, who: str, note: str = "") -> Outcome:
    item = await _pending(ctx, item_id)
    activity, post = _post(item)
    reason = "declined by the group's moderators" + (f": {note}" if note else "")
    # Before the transaction: the author's inbox (cached when they are known) and software.
    try:
        author = await ctx.directory.get_actor(item.actor_uri)
    except RemoteError:
        author = None
    software = await learn_software(ctx, item.actor_uri) if author is not None else None
    effects: list[str] = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await review.decide(conn, item.id, state="declined", who=who, note=note):
            raise ReviewError(409, f"item {item_id} was decided meanwhile")
        await _audit(conn, item, "review_decline", who, note)
        if item.inbox_id is not None and item.group_id is None:
            await review.drop_held(conn, item.inbox_id, f"declined by {who}")
        group_ids = [item.group_id] if item.group_id is not None else list(item.group_ids)
        refusals = []
        for group_id in group_ids:
            group = await actors.local_actor_by_id(conn, group_id)
            if group is not None:
                refusals.append(relay.RelayDecision(group, False, reason))
        inbox = author.inbox if author is not None else None
        effects += await relay.apply(ctx, conn, activity, post, refusals, inbox, software)
    return Outcome(item.id, "declined", effects)


async def _audit(conn: asyncpg.Connection, item: Item, action: str, who: str, note: str) -> None:
    await audit.record(
        conn,
        who=who, action=action, target=item.activity_uri, reason=note,
        source=f"review:{item.id}",
        details={"actor": item.actor_uri, "policy": item.policy, "held_for": item.reason,
                 "group_id": item.group_id},
    )  # fmt: skip
