"""Direct messages to a group: a ``Create`` of a post addressed to one of our groups alone
(not public, no followers collection, nobody else: Mastodon's ``direct`` visibility) is
offered to an ordered list of handlers before the relay sees it. The first handler that
takes it decides what happens; a message no handler takes is the relay's, as any post (a
public group refuses it: it shares only public posts).

A handler is ``async def take(ctx, message: DirectMessage) -> Taken | None``. It runs in the
activity's ``verify`` stage: it may read and fetch (the author's inbox...), never write, and
returns ``None`` when the message is not for it. What it returns has
``async apply(ctx, conn) -> str``, run in the inbox worker's transaction (writes, and
``outbox.send`` for whatever it answers); the string is stored as the inbox activity's result,
which operators read: it must not name the author when the handler keeps the author sealed.
Registering a handler is adding it to ``HANDLERS``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from federation import anonymous, crisis_reply, relay
from federation.context import FederationContext
from federation.sanitize import to_plain_text
from federation.wire import Activity, APObject
from storage import anonymous as anonymous_store
from storage.actors import LocalActor


@dataclass(frozen=True)
class DirectMessage:
    activity: Activity
    post: APObject
    group: LocalActor  # the one group it is addressed to
    text: str  # the post's plain text, without the mention(s) of the group that open it


class Taken(Protocol):
    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str: ...


DirectHandler = Callable[[FederationContext, DirectMessage], Awaitable[Taken | None]]

# In order; the first that takes a message handles it.
HANDLERS: tuple[DirectHandler, ...] = (crisis_reply.take, anonymous.take)

# Mastodon writes "@group" (or "@group@host") at the start of a direct message.
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[\w.-]+(?:@[\w.:-]+)?)+")


async def dispatch(ctx: FederationContext, activity: Activity, post: APObject) -> Taken | None:
    """What handles ``post`` when it is a direct message to one of our groups; None when it
    is not one, or no handler takes it."""
    group = await addressed_to(ctx, activity, post)
    if group is None:
        return None
    message = DirectMessage(activity, post, group, message_text(post))
    for handler in HANDLERS:
        taken = await handler(ctx, message)
        if taken is not None:
            return taken
    return None


async def addressed_to(
    ctx: FederationContext, activity: Activity, post: APObject
) -> LocalActor | None:
    """The group a direct message is for: it must name that group and nobody else (no
    public, no followers collection, no other account) in to, cc, audience or mentions."""
    if activity.is_public or post.is_public:
        return None
    everyone = activity.recipients | post.recipients | {m.href for m in post.mentions}
    if len(everyone) != 1:
        return None
    groups = await relay.addressed_groups(ctx, activity, post)
    return groups[0] if len(groups) == 1 else None


def message_text(post: APObject) -> str:
    """The plain text a handler reads: the mentions that open the message removed."""
    return _LEADING_MENTIONS.sub("", to_plain_text(post.content), count=1).strip()


async def anonymous_group(ctx: FederationContext, activity: Activity) -> LocalActor | None:
    """The group an anonymous submission (a direct message starting with the group's
    keyword) is for; None for anything else."""
    post = activity.object
    if activity.type != "Create" or not isinstance(post, APObject):
        return None
    group = await addressed_to(ctx, activity, post)
    if group is None:
        return None
    keyword = await anonymous_store.keyword(ctx.pool, group.id)
    return group if anonymous.parse(message_text(post), keyword) else None
