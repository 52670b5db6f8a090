"""Acting on what the policies decided about an incoming activity: every decision other than
a plain accept (and every shadow finding) goes in the audit log; held posts go in the review
queue. Called by the inbox worker (instance policies) and the relay (a group's)."""

from __future__ import annotations

from typing import Any

import asyncpg

from federation.screening import Action, Verdict
from federation.wire import Activity
from storage import audit, review


async def log_verdict(
    conn: asyncpg.Connection, verdict: Verdict, activity: Activity, *, group: str | None = None,
    sealed_as: str | None = None,
) -> None:  # fmt: skip
    """``sealed_as``: what the entries name instead of the activity, whose author is sealed
    (an anonymous submission): then nothing in them names the author."""
    target = sealed_as or activity.id
    details: dict[str, Any] = {"type": activity.type, "scope": verdict.scope}
    if sealed_as is None:
        details["actor"] = activity.actor
        if activity.object_id:
            details["object"] = activity.object_id
    if group is not None:
        details["group"] = group
    if verdict.action != Action.ACCEPT:
        if verdict.rewrites:
            details["rewrites"] = [str(r.kind) for r in verdict.rewrites]
        await audit.record(
            conn, who=f"policy:{verdict.policy}", action=f"policy_{verdict.action}",
            target=target, reason=verdict.reason, source=verdict.policy, details=details,
        )  # fmt: skip
    for finding in verdict.shadow:
        await audit.record(
            conn, who=f"policy:{finding.policy}", action=f"shadow_{finding.action}",
            target=target, reason=finding.reason, source=finding.policy, details=details,
        )  # fmt: skip


async def hold(
    conn: asyncpg.Connection,
    activity: Activity,
    verdict: Verdict,
    *,
    inbox_id: int | None,
    group_id: int | None,
    group_ids: list[int],
    rewritten: bool = False,
) -> int | None:
    """Put the activity in the review queue (once per group); the item's id when new.
    ``rewritten``: the instance's policies changed what readers see of it."""
    return await review.hold(
        conn, inbox_id=inbox_id, activity_uri=activity.id, actor_uri=activity.actor,
        object_uri=activity.object_id, group_id=group_id, group_ids=group_ids,
        policy=verdict.policy, reason=verdict.reason, payload=dict(activity.raw),
        rewritten=rewritten,
    )  # fmt: skip
