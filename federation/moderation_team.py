"""A group's moderators (local staff or remote accounts): listed in its ``moderators``
collection (which the Group is ``attributedTo``, as in Lemmy); adding or removing one sends
``Add``/``Remove`` with that collection as ``target`` to the group's followers."""

from __future__ import annotations

from federation import outbox
from federation.context import FederationContext
from federation.documents import PUBLIC
from storage import moderators
from storage.actors import LocalActor


class ModeratorError(ValueError):
    """The change cannot be made; the message says why."""


async def change(ctx: FederationContext, group: LocalActor, actor_uri: str, *, add: bool) -> None:
    if not ctx.urls.is_local(actor_uri):
        await ctx.directory.get_actor(actor_uri)  # it must exist before it moderates
    group_uri = outbox.actor_id(ctx, group)
    target = f"{group_uri}/moderators"
    async with ctx.pool.acquire() as conn, conn.transaction():
        changed = await (moderators.add if add else moderators.remove)(conn, group.id, actor_uri)
        if not changed:
            state = "already" if add else "not"
            raise ModeratorError(f"{actor_uri} is {state} a moderator of {group.username}")
        activity = outbox.new_activity(
            ctx, group, "Add" if add else "Remove", actor_uri, target=target,
            to=[PUBLIC], cc=[f"{group_uri}/followers"],
        )  # fmt: skip
        await outbox.send(ctx, conn, group, activity, [], to_followers=True)
