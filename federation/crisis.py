"""Answering a post the crisis detector held (``Verdict.crisis``): the event is recorded,
the person gets a direct message from the group with crisis lines that fit them (always
for ``urgent``; for ``concern`` when the group turned it on), and the moderators get an
alert (those on duty, or everyone when nobody is). All in the transaction that holds the
post, so a crash leaves neither a held post without its alert nor a message sent twice.

The person's words and identity never leave for the webhook: it carries the level, the
group and the event's id (``server.crisis_alerts``)."""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from federation import outbox
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
    """What was decided before the transaction (it may fetch): who writes, and to where."""

    sender: LocalActor
    group: LocalActor | None
    reply: CrisisReply | None
    inbox: str | None


async def plan(
    ctx: FederationContext, activity: Activity, mark: CrisisMark, groups: list[LocalActor]
) -> Plan:
    group = groups[0] if groups else None
    sender = group or await actors.instance_actor(ctx.pool)
    assert sender is not None  # created at start-up
    group_id = group.id if group is not None else None
    if not await ctx.moderation.crisis_messages(group_id, mark.level):
        return Plan(sender, group, None, None)
    try:
        inbox = (await ctx.directory.get_actor(activity.actor)).inbox
    except (RemoteError, FetchError) as exc:
        # The hold and the alert must not wait on the author's server: moderators see that
        # the message could not be sent.
        log.warning("crisis message not sent, author unreachable: %s", exc)
        return Plan(sender, group, None, None)
    reply = await ctx.moderation.crisis_reply(mark.lang, group_id, sender.name)
    return Plan(sender, group, reply, inbox)


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
        activity.id, activity.actor, activity.object_id,
        planned.group.id if planned.group is not None else None, mark.level, mark.method,
        mark.evidence, mark.lang, review_item_id, arrived_at, now,
    ))  # fmt: skip
    if event_id is None:
        return "crisis event recorded before"
    done = [f"crisis event {event_id}"]
    if planned.reply is not None and planned.inbox is not None:
        await send_reply(ctx, conn, event_id, planned.sender, activity.actor, planned.inbox,
                         planned.reply, in_reply_to=activity.object_id)  # fmt: skip
        done.append(f"resources sent ({planned.reply.lang}, {planned.reply.country or 'INT'})")
    audience = "on_duty" if await crisis_alerts.on_duty(conn) else "all"
    await crisis_alerts.add(
        conn, event_id, kind="alert", audience=audience, at=now, webhook=ctx.crisis_webhook
    )
    await crisis_events.alerted(conn, event_id, now)
    return "; ".join(done)


async def send_reply(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    event_id: int,
    sender: LocalActor,
    recipient: str,
    inbox: str,
    reply: CrisisReply,
    *,
    in_reply_to: str | None,
    asked_by: str | None = None,
) -> bool:
    """Queue the message (a direct Note to the person alone) and record it; False when this
    request (``asked_by``: the person's message that asked for it) was answered before."""
    note = _note(ctx, sender, recipient, reply, in_reply_to)
    if not await crisis_events.message_sent(
        conn, event_id, note_id=note["id"], recipient=recipient, lang=reply.lang,
        country=reply.country, lines=reply.lines, at=ctx.clock(), in_reply_to=asked_by,
    ):  # fmt: skip
        return False
    create = outbox.new_activity(ctx, sender, "Create", note, to=[recipient], cc=[])
    await outbox.send(ctx, conn, sender, create, [inbox])
    return True


def _note(
    ctx: FederationContext,
    sender: LocalActor,
    recipient: str,
    reply: CrisisReply,
    in_reply_to: str | None,
) -> dict[str, Any]:
    """Addressed to the person only and mentioning them (Mastodon shows it as a private
    mention, in the thread of their post); the language tagged in ``contentMap``."""
    sender_uri = outbox.actor_id(ctx, sender)
    name = html.escape(recipient.rstrip("/").rsplit("/", 1)[-1])
    link = f'<a href="{html.escape(recipient)}" class="u-url mention">@{name}</a>'
    first, *rest = reply.paragraphs
    body = f'<p><span class="h-card">{link}</span> {html.escape(first)}</p>' + "".join(
        f"<p>{html.escape(p)}</p>" for p in rest
    )
    note: dict[str, Any] = {
        "id": f"{sender_uri}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": sender_uri,
        "to": [recipient],
        "cc": [],
        "content": body,
        "contentMap": {reply.lang: body},
        "tag": [{"type": "Mention", "href": recipient}],
        "published": ctx.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    return note
