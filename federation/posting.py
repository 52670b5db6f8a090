"""Posts by our staff accounts: ``Create`` of a ``Note`` to their followers and, when it
mentions a group, to that group (which relays it to its members); ``Delete`` the same way."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
from typing import Any

from federation import outbox, relay
from federation.context import FederationContext
from federation.documents import AS_CONTEXT, PUBLIC
from storage import local_posts
from storage.actors import LocalActor


async def publish(
    ctx: FederationContext, author: LocalActor, text: str, group_uri: str | None = None
) -> dict[str, Any]:
    """Write a public note (mentioning ``group_uri`` when given) and deliver its Create."""
    author_uri = outbox.actor_id(ctx, author)
    group_inbox = None
    tags: list[dict[str, Any]] = []
    content = f"<p>{html.escape(text)}</p>"
    cc = [f"{author_uri}/followers"]
    if group_uri is not None:
        group = await ctx.directory.get_actor(group_uri)
        group_inbox = group.shared_inbox or group.inbox
        handle = f"@{group.preferred_username or 'group'}"
        tags.append({"type": "Mention", "href": group.uri, "name": handle})
        link = (
            f'<a href="{html.escape(group.url or group.uri)}" class="mention">'
            f"{html.escape(handle)}</a>"
        )
        content = f"<p>{link} {html.escape(text)}</p>"
        cc.append(group.uri)
    note = {
        "@context": AS_CONTEXT,
        "id": f"{author_uri}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": author_uri,
        "content": content,
        "to": [PUBLIC],
        "cc": cc,
        "tag": tags,
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    create = outbox.new_activity(
        ctx, author, "Create", {k: v for k, v in note.items() if k != "@context"},
        to=[PUBLIC], cc=cc,
    )  # fmt: skip
    async with ctx.pool.acquire() as conn, conn.transaction():
        await local_posts.add(conn, uri=note["id"], author_id=author.id, document=note)
        await outbox.send(
            ctx, conn, author, create, [group_inbox] if group_inbox else [], to_followers=True
        )
    return note


async def delete(ctx: FederationContext, author: LocalActor, note_uri: str) -> bool:
    """Delete one of ``author``'s notes: ``Delete`` to its followers and the groups it named."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        note = await local_posts.mark_deleted(conn, note_uri, author.id)
        if note is None:
            return False
        inboxes = []
        for uri in note.get("cc", []):
            if uri.endswith("/followers") or ctx.urls.is_local(uri):
                continue
            actor = await ctx.directory.get_actor(uri)
            inboxes.append(actor.shared_inbox or actor.inbox)
        tombstone = {"id": note_uri, "type": "Tombstone"}
        activity = outbox.new_activity(
            ctx, author, "Delete", tombstone, to=[PUBLIC], cc=note.get("cc", [])
        )
        await outbox.send(ctx, conn, author, activity, inboxes, to_followers=True)
        # Our own groups that relayed it take it back here (their Delete never leaves us).
        await relay.withdraw(ctx, conn, [note_uri], delete=activity)
    return True
