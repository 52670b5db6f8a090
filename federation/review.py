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
from federation.screening import Action, apply_rewrites
from federation.wire import Activity, APObject
from storage import actors, audit, objects, review
from storage.actors import LocalActor
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


def _post(item: Item) -> tuple[Activity, APObject] | None:
    """The held post; None when the held activity is something else (a profile update)."""
    parsed = parse_document(item.payload)
    if not isinstance(parsed, Activity) or not isinstance(parsed.object, APObject):
        return None
    return parsed, parsed.object


async def _pending(ctx: FederationContext, item_id: int) -> Item:
    item = await review.get(ctx.pool, item_id)
    if item is None:
        raise ReviewError(404, f"no held item {item_id}")
    if item.state != "pending":
        raise ReviewError(409, f"item {item_id} was already {item.state}")
    return item


async def _relay_decision(
    ctx: FederationContext, item: Item, group: LocalActor
) -> tuple[Activity, APObject, relay.RelayDecision]:
    """A group's approval of a post its own policies held: relayed unless the author deleted
    it meanwhile or the instance now refuses it (a suspension since), as the group's own
    copy when the instance's policies rewrote what readers see."""
    held = _post(item)
    if held is None:
        raise ReviewError(409, "the held activity is not a post")
    activity, post = held
    stored = await objects.get_object(ctx.pool, post.id)
    if stored is not None and stored["deleted_at"] is not None:
        raise ReviewError(409, "the author deleted this post")
    verdict = await ctx.moderation.screen(activity, ctx.clock(), approved=True)
    if verdict.action == Action.REJECT:
        raise ReviewError(409, f"the instance now refuses this post: {verdict.reason}")
    changed = item.rewritten or verdict.changes_content
    copy = apply_rewrites(activity, verdict.rewrites) if changed else None
    decision = relay.RelayDecision(group, True, "approved by a moderator", copy=copy)
    return activity, post, decision


async def approve(ctx: FederationContext, item_id: int, *, who: str, note: str = "") -> Outcome:
    item = await _pending(ctx, item_id)
    group = None
    if item.group_id is not None:
        group = await actors.local_actor_by_id(ctx.pool, item.group_id)
        if group is None:
            raise ReviewError(404, "the group no longer exists")
        activity, post, decision = await _relay_decision(ctx, item, group)
    effects: list[str] = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await review.decide(conn, item.id, state="approved", who=who, note=note):
            raise ReviewError(409, f"item {item_id} was decided meanwhile")
        await _audit(conn, item, "review_approve", who, note)
        if group is None:
            # Held by the instance: back through the worker, where suspensions, rejects and
            # rewrites still apply (holds do not), and the groups' own policies run.
            if item.inbox_id is None or not await review.requeue_approved(conn, item.inbox_id):
                raise ReviewError(409, "the held activity is no longer in the inbox queue")
            effects.append("queued again, approved")
        else:
            effects += await relay.apply(ctx, conn, activity, post, [decision], None)
    ctx.inbox_wakeup.set()
    return Outcome(item.id, "approved", effects)


async def decline(ctx: FederationContext, item_id: int, *, who: str, note: str = "") -> Outcome:
    item = await _pending(ctx, item_id)
    held = _post(item)
    reason = "declined by the group's moderators" + (f": {note}" if note else "")
    # Before the transaction: the author's inbox (cached when they are known) and software;
    # only a post's author is told (a held profile update is simply not applied).
    author = software = None
    if held is not None:
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
        if held is not None:
            activity, post = held
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
