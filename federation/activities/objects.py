"""Helpers for activities about posts: resolving the object and storing it."""

from __future__ import annotations

import asyncpg

from federation.activities.base import Drop
from federation.context import FederationContext
from federation.parse import parse_document
from federation.remote import RemoteError
from federation.wire import Activity, APObject
from storage import objects

# What a support group takes part in (FEP-1b12 groups relay these); other object types
# (Image, Video, Event, ChatMessage...) are acknowledged and not stored.
POST_TYPES = frozenset({"Note", "Article", "Page", "Question"})


async def resolve_post(ctx: FederationContext, activity: Activity) -> APObject:
    """The activity's post, embedded (already vetted: same host, same author) or fetched
    from its origin when sent by reference."""
    obj = activity.object
    if isinstance(obj, str):
        try:
            parsed = parse_document(await ctx.directory.fetch_object(obj))
        except RemoteError as exc:
            raise Drop(f"object_fetch_failed:{exc.reason}") from None
        if not isinstance(parsed, APObject) or parsed.id != obj:
            raise Drop("object_not_a_post")
        obj = parsed
    if not isinstance(obj, APObject):
        raise Drop("object_not_a_post")
    if obj.type not in POST_TYPES:
        raise Drop(f"unsupported_object_type:{obj.type}")
    if activity.actor not in (obj.attributed_to, *obj.attribution):
        raise Drop("not_author")
    return obj


async def store_post(conn: asyncpg.Connection, obj: APObject, author: str) -> None:
    await objects.upsert_object(
        conn,
        uri=obj.id,
        type=obj.type,
        attributed_to=author,
        content=obj.content,
        summary=obj.summary,
        sensitive=obj.sensitive,
        in_reply_to=obj.in_reply_to,
        audience=obj.audience[0] if obj.audience else None,
        published=obj.published,
        updated=obj.updated,
        document=dict(obj.raw),
    )
