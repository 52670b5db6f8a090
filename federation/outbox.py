"""Sending: build our activities and queue them for delivery (durably, in the caller's
transaction when it passes its connection, so a state change and the activity it causes
commit together)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from federation.context import FederationContext
from federation.documents import AS_CONTEXT
from storage import deliveries
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


async def send(
    ctx: FederationContext,
    db: asyncpg.Connection | asyncpg.Pool,
    sender: LocalActor,
    activity: dict[str, Any],
    inboxes: list[str],
) -> int:
    queued = await deliveries.enqueue(
        db,
        activity_id=activity["id"],
        sender_uri=actor_id(ctx, sender),
        payload=activity,
        inboxes=inboxes,
    )
    ctx.delivery_wakeup.set()
    return queued
