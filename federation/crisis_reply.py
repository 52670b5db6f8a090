"""A direct-message handler (``federation.direct``) for the person's answers to the group's
crisis message: a country code ("DE", "country: br") brings that country's crisis lines,
in the language of the first message; anything else is kept with the event and shown to
the moderators at once (an alert of kind ``reply``), never relayed nor refused: the message
promised that a moderator would read them. (Every message passes the crisis detector
first, so an answer in distress is held and alerted like any post.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from federation import crisis
from federation.context import FederationContext
from federation.screening import CrisisReply
from storage import crisis_events, resources
from storage.actors import LocalActor

if TYPE_CHECKING:  # federation.direct registers this handler
    from federation.direct import DirectMessage

# Two capital letters alone ("DE"), or any case after the word for country ("country: br").
# A bare lower-case answer is too often a word ("no", "ok", "hi") to be read as a code, and
# so are these capitals (Norway, Slovenia, Montenegro, Niger, Somalia: "NO", "SI" is yes).
_BARE = re.compile(r"^([A-Z]{2})[.!]?$")
_WORDS = frozenset({"NO", "SI", "ME", "NE", "SO"})
_NAMED = re.compile(r"^(?:country|pa[ií]s|land|pays)\s*:?\s*([A-Za-z]{2})[.!]?$", re.IGNORECASE)


def country_code(text: str) -> str | None:
    text = text.strip()
    bare = _BARE.match(text)
    if bare is not None and bare.group(1) not in _WORDS:
        return bare.group(1)
    named = _NAMED.match(text)
    return named.group(1).upper() if named else None


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


@dataclass(frozen=True)
class KeptReply:
    """Any other answer: kept with the event, shown to the moderators."""

    event_id: int
    activity_uri: str
    text: str

    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str:
        now = ctx.clock()
        reply_id = await crisis_events.add_reply(
            conn, self.event_id, self.activity_uri, self.text[:5000], now
        )
        if reply_id is None:
            return "crisis reply kept before"
        await crisis.alert(ctx, conn, self.event_id, now, reply_id=reply_id)
        return f"reply kept with crisis event {self.event_id} for its moderators"


async def take(ctx: FederationContext, message: DirectMessage) -> CountryLines | KeptReply | None:
    """An answer to one of our crisis messages, by the person it was sent to."""
    reply_to = message.post.in_reply_to
    if reply_to is None:
        return None
    event = await crisis_events.by_message(ctx.pool, reply_to)
    if event is None or event["actor_uri"] != message.activity.actor:
        return None
    code = country_code(message.text)
    if code is None or not await resources.knows_country(ctx.pool, code):
        return KeptReply(event["id"], message.activity.id, message.text)
    inbox = await crisis.author_inbox(ctx, message.activity.actor)
    if inbox is None:
        return KeptReply(event["id"], message.activity.id, message.text)
    lang = event["message_lang"] or event["lang"]
    group = message.group
    reply = await ctx.moderation.crisis_reply(lang, group.id, group.name, country=code)
    return CountryLines(event["id"], group, message.activity.actor, inbox, reply, message.post.id)
