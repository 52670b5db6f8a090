"""Flag (a report from another instance): stored for the moderators."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop
from federation.context import FederationContext
from federation.wire import Activity
from storage import objects


async def verify(ctx: FederationContext, activity: Activity) -> list[str]:
    targets = [o if isinstance(o, str) else o.id for o in activity.objects]
    if not targets:
        raise Drop("no_object")
    return targets


async def receive(
    ctx: FederationContext, activity: Activity, prepared: list[str], conn: asyncpg.Connection
) -> str:
    await objects.add_report(
        conn,
        activity_uri=activity.id,
        actor_uri=activity.actor,
        object_uris=prepared,
        content=activity.content or activity.summary or "",
    )
    return "report stored"
