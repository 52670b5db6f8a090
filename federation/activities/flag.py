"""Flag: a report from another instance, routed to the moderators of the group concerned, or
to the instance's admins.

Mastodon sends its instance actor's ``Flag`` with ``object`` listing the reported account
and posts and the comment in ``content``; Lemmy sends the reporter's, ``to`` the community,
with the reported post or comment as ``object`` and the reason in ``summary``. A domain whose
reports we reject never gets here (the domain policy's ``reject_reports``)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation.activities.base import Drop, local_actor_at
from federation.context import FederationContext
from federation.screening import Verdict
from federation.wire import Activity
from storage import audit, group_posts, reports


@dataclass(frozen=True)
class Prepared:
    targets: list[str]
    group_id: int | None


async def verify(ctx: FederationContext, activity: Activity, verdict: Verdict) -> Prepared:
    targets = [o if isinstance(o, str) else o.id for o in activity.objects]
    if not targets:
        raise Drop("no_object")
    return Prepared(targets, await group_concerned(ctx, activity, targets))


async def group_concerned(
    ctx: FederationContext, activity: Activity, targets: list[str]
) -> int | None:
    """The group addressed (Lemmy), the group reported, or a group that relayed a reported
    post; None for the instance's admins."""
    for uri in (*activity.to, *activity.cc, *activity.audience, *targets):
        actor = await local_actor_at(ctx, uri)
        if actor is not None and actor.kind == "Group":
            return actor.id
    for uri in targets:
        relaying = await group_posts.groups_relaying(ctx.pool, uri)
        if relaying:
            return relaying[0]
    return None


async def receive(
    ctx: FederationContext, activity: Activity, prepared: Prepared, conn: asyncpg.Connection
) -> str:
    report = await reports.add(
        conn,
        activity_uri=activity.id,
        actor_uri=activity.actor,
        object_uris=prepared.targets,
        content=activity.content or activity.summary or "",
        group_id=prepared.group_id,
    )
    if report is None:
        return "report already stored"
    queue = "group" if prepared.group_id is not None else "admins"
    await audit.record(
        conn, who=activity.actor, action="report_received", target=prepared.targets[0],
        reason=report.content[:500], source=f"report:{report.id}",
        details={"report": report.id, "queue": queue, "objects": prepared.targets},
    )  # fmt: skip
    return f"report {report.id} stored for the {queue} moderators"
