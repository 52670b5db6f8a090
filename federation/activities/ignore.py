"""Add and Remove (featured collections, Lemmy moderators) are acknowledged without effect
until the group issue gives them one."""

from __future__ import annotations

import asyncpg

from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> None:
    return None


async def receive(
    ctx: FederationContext, activity: Activity, prepared: None, conn: asyncpg.Connection
) -> str:
    return f"{activity.type.lower()} acknowledged, no effect"
