"""The inbox worker: takes stored activities from the durable queue and acts on them.

Each job: parse → screen (the instance's moderation policies: reject, hold for review, or
accept with rewrites; the decision is stored with the activity) → the activity module's
``verify`` (authority, fetches; no writes) → ``receive`` (writes) in one transaction with
marking the job done, so an effect is applied exactly once even when a worker dies halfway
(the lease runs out, the job is taken again, and nothing of the first try was committed).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import timedelta
from types import ModuleType

import asyncpg

from federation import anonymous, crisis, decisions, direct, relay
from federation.activities import (
    accept,
    block,
    create,
    delete,
    flag,
    follow,
    ignore,
    move,
    react,
    reject,
    undo,
    update,
)
from federation.activities.base import Drop
from federation.activities.objects import POST_TYPES, resolve_post
from federation.context import FederationContext
from federation.fetch import FetchError
from federation.parse import parse_document
from federation.remote import RemoteError
from federation.screening import Action, CrisisMark, Verdict, apply_rewrites
from federation.wire import Activity, APObject
from storage import queue
from storage.actors import LocalActor
from storage.queue import Job

log = logging.getLogger(__name__)

HANDLERS: dict[str, ModuleType] = {
    "Follow": follow,
    "Accept": accept,
    "Reject": reject,
    "Undo": undo,
    "Create": create,
    "Update": update,
    "Delete": delete,
    "Announce": react,
    "Like": react,
    "Dislike": react,
    "EmojiReact": react,
    "Block": block,
    "Flag": flag,
    "Move": move,
    "Add": ignore,
    "Remove": ignore,
}

TABLE: queue.QueueTable = "inbox_activities"


class InboxWorker:
    def __init__(
        self,
        ctx: FederationContext,
        *,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 8,
    ) -> None:
        self.ctx = ctx
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts

    async def run_once(self) -> int:
        """Handle the jobs that are ready now; return how many were taken."""
        jobs = await queue.claim(self.ctx.pool, TABLE, limit=self.batch, lease=self.lease)
        for job in jobs:
            await self.handle(job)
        self.ctx.metrics.inbox_processed += len(jobs)
        return len(jobs)

    async def handle(self, job: Job) -> None:
        parsed = parse_document(job.row["payload"])
        if not isinstance(parsed, Activity) or parsed.type not in HANDLERS:
            await queue.finish(self.ctx.pool, TABLE, job, state="dropped", result="unparseable")
            return
        handler = HANDLERS[parsed.type]
        verdict: Verdict | None = None
        try:
            parsed = await with_post(self.ctx, parsed)
            groups = await _groups(self.ctx, parsed)
            # The crisis detector reads posts for our groups (and direct messages to them).
            verdict = await self.ctx.moderation.screen(
                parsed, self.ctx.clock(), approved=job.row["approved"], crisis=bool(groups)
            )
            # An anonymous submission is pre-moderated by its group anyway: a hold must not
            # put its author in the review queue, which every staff account reads.
            sealed = verdict.acts and await direct.anonymous_group(self.ctx, parsed) is not None
            if verdict.action == Action.REJECT or (verdict.action == Action.HOLD and not sealed):
                await self._stop(job, parsed, verdict, groups)
                return
            parsed = apply_rewrites(parsed, verdict.rewrites)
            mark = verdict.crisis if verdict.action == Action.HOLD else None
            planned = await crisis.plan(self.ctx, parsed, mark, groups) if mark else None
            prepared = await handler.verify(self.ctx, parsed, verdict)
            async with self.ctx.pool.acquire() as conn, conn.transaction():
                result = await handler.receive(self.ctx, parsed, prepared, conn)
                if sealed:
                    await anonymous.log_verdict(self.ctx, conn, parsed, verdict)
                elif verdict.acts:
                    await decisions.log_verdict(conn, verdict, parsed)
                if mark is not None and planned is not None:
                    result += await self._crisis(conn, job, parsed, mark, planned, None)
                await queue.finish(conn, TABLE, job, result=result, moderation=verdict.as_json())
        except queue.LeaseLost:
            # Another worker took the job over; its run is the one that counts.
            log.warning(
                "inbox job %s was claimed again; this run's effects were rolled back", job.id
            )
        except Drop as drop:
            try:
                await queue.finish(
                    self.ctx.pool, TABLE, job, state="dropped", result=drop.reason,
                    moderation=verdict.as_json() if verdict is not None else None,
                )  # fmt: skip
            except queue.LeaseLost:
                pass
        except (RemoteError, FetchError) as exc:
            await self._retry(job, f"remote: {exc}")
        except Exception as exc:  # a bug or an outage must not kill the worker loop
            log.exception("inbox job %s (%s) failed", job.id, parsed.type)
            await self._retry(job, f"error: {type(exc).__name__}")

    async def _stop(
        self, job: Job, activity: Activity, verdict: Verdict, addressed: list[LocalActor]
    ) -> None:
        """A reject is recorded and dropped; a hold waits in the review queue (for the
        moderators of the groups the post was for, and the admins). A crisis hold also
        answers the person and alerts the moderators (``federation.crisis``)."""
        groups = [g.id for g in addressed]
        held = verdict.action == Action.HOLD
        result = f"{'held' if held else 'rejected'} by policy {verdict.policy}: {verdict.reason}"
        mark = verdict.crisis if held else None
        planned = await crisis.plan(self.ctx, activity, mark, addressed) if mark else None
        async with self.ctx.pool.acquire() as conn, conn.transaction():
            await decisions.log_verdict(conn, verdict, activity)
            item_id = None
            if held:
                item_id = await decisions.hold(
                    conn, activity, verdict, inbox_id=job.id, group_id=None, group_ids=groups
                )
            if mark is not None and planned is not None:
                result += await self._crisis(conn, job, activity, mark, planned, item_id)
            await queue.finish(
                conn, TABLE, job, state="held" if held else "dropped", result=result[:500],
                moderation=verdict.as_json(),
            )  # fmt: skip

    async def _crisis(
        self, conn: asyncpg.Connection, job: Job, activity: Activity, mark: CrisisMark,
        planned: crisis.Plan, item_id: int | None,
    ) -> str:  # fmt: skip
        """The crisis event, message and alert, in the job's transaction (for its result)."""
        done = await crisis.record(
            self.ctx, conn, activity, mark, planned, review_item_id=item_id,
            arrived_at=job.row["received_at"],
        )  # fmt: skip
        return f"; {done}"

    async def _retry(self, job: Job, error: str) -> None:
        if job.attempts >= self.max_attempts:
            with contextlib.suppress(queue.LeaseLost):
                await queue.finish(self.ctx.pool, TABLE, job, state="failed", result=error[:500])
            return
        await queue.retry_later(
            self.ctx.pool, TABLE, job, delay=queue.backoff(job.attempts, base=30), error=error
        )


async def _groups(ctx: FederationContext, activity: Activity) -> list[LocalActor]:
    """Our groups a post is for (none for anything else)."""
    if not isinstance(activity.object, APObject):
        return []
    return await relay.addressed_groups(ctx, activity, activity.object)


async def with_post(ctx: FederationContext, activity: Activity) -> Activity:
    """A Create or Update of a post sent by reference, with the post fetched and embedded:
    the policies read it, and the handler does not fetch it again."""
    if activity.type not in ("Create", "Update") or not isinstance(activity.object, str):
        return activity
    if activity.object == activity.actor:
        return activity  # an actor's Update of itself: refetched by its handler
    try:
        post = await resolve_post(ctx, activity)
    except Drop:
        if activity.type == "Update":
            return activity  # not a post: the Update handler decides what it is
        raise
    if post.type not in POST_TYPES:
        return activity
    raw = {**activity.raw, "object": dict(post.raw)}
    return replace(activity, object=post, objects=(post,), raw=raw)
