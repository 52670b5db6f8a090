"""Sending: build our activities and queue them for delivery (durably, in the caller's
transaction when it passes its connection, so a state change and the activity it causes
commit together)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from federation.context import FederationContext
from federation.delivery.recipients import follower_inboxes, group_by_host
from federation.documents import AS_CONTEXT
from storage import outbound
from storage.actors import LocalActor


def actor_id(ctx: FederationContext, actor: LocalActor) -> str:
    return ctx.urls.actor(actor.kind, actor.username)


def new_activity(
    ctx: FederationContext, actor: LocalActor, kind: str, obj: Any, **extra: Any
) -> dict[str, Any]:
    sender = actor_id(ctx, actor)
    return {
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id(sender, kind, uuid.uuid4().hex),
        "type": kind,
        "actor": sender,
        "object": obj,
        **extra,
    }


def follow_object(follow_id: str, follower_uri: str, followee_uri: str) -> dict[str, str]:
    """A Follow as its sender sent it, for our Accept or Reject of it: Mastodon and Fedify
    match the answer to their request by its id."""
    return {"id": follow_id, "type": "Follow", "actor": follower_uri, "object": followee_uri}


async def send(
    ctx: FederationContext,
    db: asyncpg.Connection | asyncpg.Pool,
    sender: LocalActor,
    activity: dict[str, Any],
    inboxes: list[str],
    *,
    to_followers: bool = False,
) -> int | None:
    """Store ``activity`` once for delivery to ``inboxes`` (and, with ``to_followers``, to
    every follower of ``sender``); returns its sequence number, ``None`` if nobody receives
    it or it was stored before. Runs in the caller's transaction when ``db`` is one."""
    sender_uri = actor_id(ctx, sender)
    targets = list(inboxes)
    if to_followers:
        targets += await follower_inboxes(db, sender_uri)
    recipients = group_by_host(targets)
    for host in list(recipients):
        # Nothing is delivered to a suspended domain (an in-memory check per host).
        if await ctx.moderation.domain_blocked(host):
            del recipients[host]
    seq = await outbound.enqueue(
        db,
        activity_id=activity["id"],
        sender_uri=sender_uri,
        body=json.dumps(activity, ensure_ascii=False, separators=(",", ":")),
        recipients=recipients,
    )
    ctx.delivery_wakeup.set()
    return seq
