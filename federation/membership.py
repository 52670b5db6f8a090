"""Group membership decided by a moderator: pending follow requests approved (``Accept``) or
rejected (``Reject``), and bans (``Block``) and their end (``Undo(Block)``).

An answer to a request carries the Follow as its sender sent it (id, actor, object), which is
how Mastodon and Fedify match it to their request."""

from __future__ import annotations

from datetime import datetime

from federation import outbox
from federation.context import FederationContext
from federation.remote import RemoteError
from storage import actors, audit, bans, follows, group_notes
from storage.actors import LocalActor, RemoteActor
from storage.follows import Follow


class MembershipError(ValueError):
    """The request cannot be answered as asked; the message says why."""


async def pending_requests(ctx: FederationContext, group: LocalActor) -> list[Follow]:
    return await follows.pending_for(ctx.pool, outbox.actor_id(ctx, group))


async def answer(
    ctx: FederationContext,
    group: LocalActor,
    follower_uri: str,
    *,
    approve: bool,
    confirm_new_instance: bool = False,
) -> Follow:
    group_uri = outbox.actor_id(ctx, group)
    request = await follows.follow_between(ctx.pool, follower_uri, group_uri)
    if request is None or request.state != "pending":
        raise MembershipError(f"{follower_uri} has no pending request to join {group.username}")
    follower = await actors.remote_actor(ctx.pool, follower_uri)
    if follower is None:
        raise MembershipError(f"{follower_uri} is not known here")
    if (
        approve
        and group.visibility == "members"
        and not confirm_new_instance
        and not await group_notes.member_on(ctx.pool, group_uri, follower.domain)
    ):
        # A members-only group's posts go to every server that has a member: the first
        # member on a new server opens the group to that server's admins. Ask to confirm.
        raise MembershipError(
            f"{follower_uri} would be the group's first member on {follower.domain}; "
            "confirm to let that server receive the group's posts"
        )
    follow = outbox.follow_object(request.activity_uri, follower_uri, group_uri)
    kind = "Accept" if approve else "Reject"
    reply = outbox.new_activity(ctx, group, kind, follow, to=[follower_uri])
    async with ctx.pool.acquire() as conn, conn.transaction():
        if approve:
            await follows.set_state(conn, request.id, "accepted")
        else:
            await follows.delete_follow(conn, follower_uri, group_uri)
        await outbox.send(ctx, conn, group, reply, [follower.inbox])
    return request


async def ban(
    ctx: FederationContext,
    group: LocalActor,
    actor_uri: str,
    *,
    reason: str = "",
    ends_at: datetime | None = None,
    who: str = "system",
    audit_target: str | None = None,
) -> None:
    """Ban a member: a ``Block`` from the group reaches them, their follow ends, and their
    later posts to the group are refused with a ``Reject`` (until ``ends_at``).
    ``audit_target``: what the audit entry names instead of the member, whose identity is
    sealed (the author of an anonymous post): every staff account reads the audit log."""
    # The ban must hold even when the member's server is down: use what we know of them.
    target = await actors.remote_actor(ctx.pool, actor_uri) or await _fetch(ctx, actor_uri)
    group_uri = outbox.actor_id(ctx, group)
    block = outbox.new_activity(ctx, group, "Block", actor_uri, to=[actor_uri])
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await bans.add(
            conn, group_id=group.id, actor_uri=actor_uri, reason=reason, block=block,
            ends_at=ends_at,
        ):  # fmt: skip
            raise MembershipError(f"{actor_uri} is already banned from {group.username}")
        await follows.delete_follow(conn, actor_uri, group_uri)
        if target is not None:
            await outbox.send(ctx, conn, group, block, [target.inbox])
        until = {"ends_at": ends_at.isoformat()} if ends_at else {}
        await audit.record(
            conn, who=who, action="member_ban", target=audit_target or actor_uri, reason=reason,
            details={"group": group.username, **until},
        )  # fmt: skip


async def unban(
    ctx: FederationContext, group: LocalActor, actor_uri: str, *, who: str = "system"
) -> None:
    """Lift a ban: ``Undo(Block)`` reaches the former member."""
    target = await actors.remote_actor(ctx.pool, actor_uri) or await _fetch(ctx, actor_uri)
    async with ctx.pool.acquire() as conn, conn.transaction():
        block = await bans.remove(conn, group.id, actor_uri)
        if block is None:
            raise MembershipError(f"{actor_uri} is not banned from {group.username}")
        undo = outbox.new_activity(ctx, group, "Undo", block, to=[actor_uri])
        if target is not None:
            await outbox.send(ctx, conn, group, undo, [target.inbox])
        await audit.record(
            conn, who=who, action="member_unban", target=actor_uri,
            details={"group": group.username},
        )  # fmt: skip


async def _fetch(ctx: FederationContext, actor_uri: str) -> RemoteActor | None:
    try:
        return await ctx.directory.get_actor(actor_uri)
    except RemoteError:
        return None  # banned all the same; nothing to tell an actor we cannot reach
