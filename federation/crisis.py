"""Answering a post the crisis detector held (``Verdict.crisis``): the event is recorded,
the person gets a direct message from the group with crisis lines that fit them (always
for ``urgent``; for ``concern`` when the group turned it on), and for ``urgent`` posts and
method talk the moderators get an alert (those on duty, or everyone when nobody is). All
in the transaction that holds the post, so a crash leaves neither a held post without its
alert nor a message sent twice.

The person's words and identity never leave for the webhook: it carries the level, the
group and the event's id (``server.crisis_alerts``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from federation import outbox, relay
from federation.context import FederationContext
from federation.fetch import FetchError
from federation.remote import RemoteError
from federation.screening import CrisisMark, CrisisReply
from federation.wire import Activity
from storage import actors, crisis_alerts, crisis_events
from storage.actors import LocalActor
from storage.crisis_events import NewEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """What was decided before the transaction (it may fetch): the group that writes, what,
    and to which inbox (or why nothing can be sent)."""

    group: LocalActor
    reply: CrisisReply | None
    inbox: str | None
    error: str | None = None


async def plan(
    ctx: FederationContext, activity: Activity, mark: CrisisMark, groups: list[LocalActor]
) -> Plan | None:
    """None when the post was for none of our groups (the detector reads only those)."""
    if not groups:
        return None
    group = groups[0]
    if not await ctx.moderation.crisis_messages(group.id, mark.level):
        return Plan(group, None, None)
    inbox = await author_inbox(ctx, activity.actor)
    if inbox is None:
        return Plan(group, None, None, "the author's server could not be reached")
    reply = await ctx.moderation.crisis_reply(mark.lang, group.id, group.name)
    return Plan(group, reply, inbox)


async def author_inbox(ctx: FederationContext, actor: str) -> str | None:
    """Their inbox, fetched when stale; the one we know when their server does not answer
    (the delivery engine retries an outage: the message must not be dropped for it)."""
    try:
        return (await ctx.directory.get_actor(actor)).inbox
    except (RemoteError, FetchError) as exc:
        known = await actors.remote_actor(ctx.pool, actor)
        log.warning("author unreachable for a crisis message (%s); cached inbox: %s",
                    exc, known is not None)  # fmt: skip
        return known.inbox if known is not None else None


async def record(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    activity: Activity,
    mark: CrisisMark,
    planned: Plan,
    *,
    review_item_id: int | None,
    arrived_at: datetime,
) -> str:
    """The event, the message and the alert, in the caller's transaction."""
    now = ctx.clock()
    event_id = await crisis_events.record(conn, NewEvent(
        activity.id, activity.actor, activity.object_id, planned.group.id, mark.level,
        mark.method, mark.evidence, mark.lang, review_item_id, arrived_at, now,
        planned.error,
    ))  # fmt: skip
    if event_id is None:
        return "crisis event recorded before"
    done = [f"crisis event {event_id}"]
    if planned.reply is not None and planned.inbox is not None:
        await send_reply(ctx, conn, event_id, planned.group, activity.actor, planned.inbox,
                         planned.reply, in_reply_to=activity.object_id)  # fmt: skip
        done.append(f"resources sent ({planned.reply.lang}, {planned.reply.country or 'INT'})")
    # Concern is held for review with its mark; paging people is for urgent posts and
    # method talk (issue #8), so that an alert keeps meaning "now".
    if mark.level == "urgent" or mark.method:
        await alert(ctx, conn, event_id, now)
        done.append("alerted")
    return "; ".join(done)


async def alert(
    ctx: FederationContext, conn: asyncpg.Connection, event_id: int, now: datetime,
    *, reply_id: int | None = None,
) -> None:  # fmt: skip
    """To those on duty, or to everyone when nobody is."""
    audience = "on_duty" if await crisis_alerts.on_duty(conn) else "all"
    kind = "reply" if reply_id is not None else "alert"
    await crisis_alerts.add(conn, event_id, kind=kind, audience=audience, at=now,
                            webhook=ctx.crisis_webhook, reply_id=reply_id)  # fmt: skip
    if reply_id is None:
        await crisis_events.alerted(conn, event_id, now)


async def send_reply(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    event_id: int,
    group: LocalActor,
    recipient: str,
    inbox: str,
    reply: CrisisReply,
    *,
    in_reply_to: str | None,
    asked_by: str | None = None,
) -> bool:
    """Queue the message (a direct note to the person alone, in the thread of their post,
    its language tagged) and record it; False when this request (``asked_by``: the
    person's message that asked for it) was answered before."""
    first, *rest = reply.paragraphs
    create = relay.direct_note(ctx, group, recipient, first, more=tuple(rest), lang=reply.lang,
                               in_reply_to=in_reply_to)  # fmt: skip
    if not await crisis_events.message_sent(
        conn, event_id, note_id=create["object"]["id"], recipient=recipient, lang=reply.lang,
        country=reply.country, lines=reply.lines, at=ctx.clock(), in_reply_to=asked_by,
    ):  # fmt: skip
        return False
    await outbox.send(ctx, conn, group, create, [inbox])
    return True
