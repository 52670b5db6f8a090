"""A direct-message handler (``federation.direct``): the person answers the group's crisis
message with a country code ("DE", "de.", "country: BR") and gets that country's crisis
lines, in the language of the first message. Anything else in a reply is not for this
handler (the other handlers and the relay see it, and every message passes the crisis
detector first, so a reply in distress is held and alerted like any post)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from federation import crisis
from federation.context import FederationContext
from federation.fetch import FetchError
from federation.remote import RemoteError
from federation.screening import CrisisReply
from storage import crisis_events, resources
from storage.actors import LocalActor

if TYPE_CHECKING:  # federation.direct registers this handler
    from federation.direct import DirectMessage

# Two capital letters alone ("DE"), or any case after the word for country ("country: br").
# A bare lower-case answer is too often a word ("no", "ok", "hi") to be read as a code.
_BARE = re.compile(r"^([A-Z]{2})[.!]?$")
_NAMED = re.compile(r"^(?:country|pa[ií]s|land|pays)\s*:?\s*([A-Za-z]{2})[.!]?$", re.IGNORECASE)


def country_code(text: str) -> str | None:
    text = text.strip()
    found = _BARE.match(text) or _NAMED.match(text)
    return found.group(1).upper() if found else None


@dataclass(frozen=True)
class CountryLines:
    event_id: int
    sender: LocalActor
    recipient: str
    inbox: str
    reply: CrisisReply
    asked_by: str

    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str:
        sent = await crisis.send_reply(
            ctx, conn, self.event_id, self.sender, self.recipient, self.inbox, self.reply,
            in_reply_to=self.asked_by, asked_by=self.asked_by,
        )  # fmt: skip
        if not sent:
            return "crisis lines sent before"
        return f"crisis lines for {self.reply.country} sent (event {self.event_id})"


async def take(ctx: FederationContext, message: DirectMessage) -> CountryLines | None:
    """A reply to one of our crisis messages, by the person it was sent to, that names a
    country."""
    reply_to = message.post.in_reply_to
    code = country_code(message.text)
    if reply_to is None or code is None:
        return None
    event = await crisis_events.by_message(ctx.pool, reply_to)
    if event is None or event["actor_uri"] != message.activity.actor:
        return None
    if not await resources.knows_country(ctx.pool, code):
        return None
    try:
        inbox = (await ctx.directory.get_actor(message.activity.actor)).inbox
    except (RemoteError, FetchError):
        return None
    lang = event["message_lang"] or event["lang"]
    group = message.group
    reply = await ctx.moderation.crisis_reply(lang, group.id, group.name, country=code)
    return CountryLines(event["id"], group, message.activity.actor, inbox, reply, message.post.id)
