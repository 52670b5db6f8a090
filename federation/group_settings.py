"""Changing a group's settings: stored, then an ``Update`` of the Group actor reaches every
follower so their servers show the new name, summary, rules and membership mode. The
anonymous-submission keyword (``anonymous_keyword``) is kept apart: it is not in the actor."""

from __future__ import annotations

from typing import Any

from federation import outbox
from federation.context import FederationContext
from federation.documents import PUBLIC, actor_document
from storage import actors
from storage import anonymous as anonymous_settings
from storage.actors import LocalActor


async def change(ctx: FederationContext, group: LocalActor, changes: dict[str, Any]) -> LocalActor:
    changes = dict(changes)
    keyword = changes.pop("anonymous_keyword", None)
    if not changes and keyword is None:
        return group
    async with ctx.pool.acquire() as conn, conn.transaction():
        if keyword is not None:
            await anonymous_settings.set_keyword(conn, group.id, keyword)
            if not changes:
                return group  # nothing followers see changed
        updated = await actors.update_settings(conn, group.id, changes)
        document = actor_document(updated, ctx.urls)
        document.pop("@context", None)
        group_uri = outbox.actor_id(ctx, updated)
        update = outbox.new_activity(
            ctx, updated, "Update", document, to=[PUBLIC], cc=[f"{group_uri}/followers"]
        )
        await outbox.send(ctx, conn, updated, update, [], to_followers=True)
    return updated
