"""A group's pinned resources: its ``featured`` collection (shown pinned on Mastodon
profiles). A pin is a post (its id) or a link with a title; pinning and unpinning send
``Add``/``Remove {target: featured}`` to the group's followers."""

from __future__ import annotations

import html
import uuid
from typing import Any

import asyncpg

from federation import outbox, relay
from federation.context import FederationContext
from federation.documents import PUBLIC
from federation.jsonld import is_public_address
from storage import group_notes, pins
from storage.actors import LocalActor


class PinError(ValueError):
    """The pin cannot be changed as asked; the message says why."""


def featured_item(pin: dict[str, Any], group: LocalActor) -> Any:
    """A public post of a public group appears as itself (Mastodon shows pinned statuses);
    anything else only as a ``Link`` with its title: the collection is readable by anyone."""
    document = pin["document"]
    if document is not None and group.visibility == "public" and _is_public(document):
        return {k: v for k, v in document.items() if k != "@context"}
    return {"type": "Link", "href": pin["uri"], "name": pin["title"] or pin["uri"]}


def _is_public(document: dict[str, Any]) -> bool:
    audience: list[Any] = []
    for key in ("to", "cc"):
        value = document.get(key) or []
        audience += value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and is_public_address(v) for v in audience)


async def change(
    ctx: FederationContext, group: LocalActor, uri: str, *, title: str | None = None,
    pin: bool = True,
) -> None:  # fmt: skip
    if not uri.startswith(("https://", "http://")):
        raise PinError("a pin is an http(s) URL")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _change(ctx, conn, group, uri, title, pin)


async def _change(
    ctx: FederationContext, conn: asyncpg.Connection, group: LocalActor, uri: str,
    title: str | None, pin: bool,
) -> None:  # fmt: skip
    group_uri = outbox.actor_id(ctx, group)
    if pin:
        changed = await pins.add(conn, group.id, uri, title)
    else:
        changed = await pins.remove(conn, group.id, uri)
    if not changed:
        raise PinError(f"{uri} is {'already' if pin else 'not'} pinned in {group.username}")
    activity = outbox.new_activity(
        ctx, group, "Add" if pin else "Remove", uri, target=f"{group_uri}/featured",
        to=[PUBLIC], cc=[f"{group_uri}/followers"],
    )  # fmt: skip
    await outbox.send(ctx, conn, group, activity, [], to_followers=True)


async def publish(
    ctx: FederationContext, group: LocalActor, title: str, paragraphs: tuple[str, ...],
    lang: str, *, replacing: str | None = None,
) -> str:  # fmt: skip
    """The group writes a post of its own (its crisis lines, say) and pins it, in one
    transaction: followers get the ``Create`` then the ``Add`` to featured, which embeds it
    (Mastodon shows it pinned on the group's profile). ``replacing``: the group's earlier
    post of the kind, unpinned and deleted (``Remove``, ``Delete``). Returns the post's id."""
    group_uri = outbox.actor_id(ctx, group)
    address = relay.addressing(ctx, group)
    body = f"<p><strong>{html.escape(title)}</strong></p>" + "".join(
        f"<p>{html.escape(p)}</p>" for p in paragraphs
    )
    note = {
        "id": f"{group_uri}/notes/{uuid.uuid4().hex}", "type": "Note", "attributedTo": group_uri,
        **address, "content": body, "contentMap": {lang: body},
        "published": ctx.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip
    async with ctx.pool.acquire() as conn, conn.transaction():
        if replacing is not None and await group_notes.delete_copy(conn, group.id, replacing):
            if await pins.remove(conn, group.id, replacing):
                remove = outbox.new_activity(ctx, group, "Remove", replacing,
                                             target=f"{group_uri}/featured", **address)  # fmt: skip
                await outbox.send(ctx, conn, group, remove, [], to_followers=True)
            tombstone = {"id": replacing, "type": "Tombstone"}
            delete = outbox.new_activity(ctx, group, "Delete", tombstone, **address)
            await outbox.send(ctx, conn, group, delete, [], to_followers=True)
        await group_notes.add(conn, group_id=group.id, object_uri=note["id"], document=note)
        create = outbox.new_activity(ctx, group, "Create", note, **address)
        await outbox.send(ctx, conn, group, create, [], to_followers=True)
        await _change(ctx, conn, group, note["id"], title, True)
    return str(note["id"])
