"""Shared pieces of the activity handlers."""

from __future__ import annotations

from typing import Any, Protocol

import asyncpg

from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import actors
from storage.actors import LocalActor


class Drop(Exception):
    """The activity is refused or has nothing to act on; the reason is recorded."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Handler(Protocol):
    async def verify(self, ctx: FederationContext, activity: Activity, verdict: Verdict) -> Any:
        """Prove authority and fetch what is needed; no writes. ``verdict`` is what the
        instance's policies decided (accept or rewrite: rejects and holds never get here)."""
        ...

    async def receive(
        self, ctx: FederationContext, activity: Activity, prepared: Any, conn: asyncpg.Connection
    ) -> str: ...


def require_object_id(activity: Activity) -> str:
    object_id = activity.object_id
    if not object_id:
        raise Drop("no_object")
    return object_id


async def local_actor_at(ctx: FederationContext, uri: str) -> LocalActor | None:
    parsed = ctx.urls.parse_actor(uri)
    if parsed is None or "#" in uri:
        return None
    actor = await actors.local_actor_by_username(ctx.pool, parsed[1])
    return actor if actor is not None and actor.kind == parsed[0] else None


def inner_activity(activity: Activity) -> Activity | None:
    obj = activity.object
    return obj if isinstance(obj, Activity) else None
