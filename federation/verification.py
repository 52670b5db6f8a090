"""Verified roles. An admin verifies a staff account with the ``professional`` role (who,
when, a credential line); it is published as a Mastodon-style profile field (a
``PropertyValue`` attachment) and its followers get an ``Update`` of the account. A group's
moderators mark members (accounts that follow the group) as verified peer supporters or
professionals in that group; the group's page lists them and marks their posts. Every
change is audited."""

from __future__ import annotations

import html
from typing import Any

import asyncpg

from federation import outbox
from federation.context import FederationContext
from federation.documents import ACTOR_CONTEXT, PUBLIC, actor_document
from federation.urls import LocalUrls
from storage import actors, audit
from storage import verification as store
from storage.actors import LocalActor
from storage.verification import StaffVerification, VerifiedMember

MAX_CREDENTIAL = 200
MEMBER_ROLES = ("peer_supporter", "professional")
ROLE_LABELS = {"peer_supporter": "Verified peer supporter", "professional": "Verified professional"}


class VerificationError(ValueError):
    """The change cannot be made; ``status`` is the HTTP answer (404 unknown, 409 refused
    in this state, 400 bad value), the message says why."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def clean_credential(credential: str) -> str:
    text = " ".join(credential.split())
    if not text:
        raise VerificationError("the credential must not be empty", 400)
    if len(text) > MAX_CREDENTIAL:
        raise VerificationError(f"the credential must be at most {MAX_CREDENTIAL} characters", 400)
    return text


def profile_field(v: StaffVerification) -> tuple[str, str]:
    """The verification as a profile field: name, and value as escaped HTML."""
    value = f"{v.credential} (verified by {v.verified_by}, {v.verified_at:%Y-%m-%d})"
    return "Verified professional", html.escape(value)


async def profile_fields(
    db: asyncpg.Pool | asyncpg.Connection, actor: LocalActor
) -> list[tuple[str, str]]:
    """The fields a local actor's document carries besides a group's rules."""
    if actor.kind != "Person" or actor.role != "professional":
        return []
    found = await store.staff(db, actor.id)
    return [profile_field(found)] if found else []


async def published_actor(
    db: asyncpg.Pool | asyncpg.Connection, actor: LocalActor, urls: LocalUrls
) -> dict[str, Any]:
    """A local actor's document as we serve it, with its profile fields."""
    return actor_document(actor, urls, fields=await profile_fields(db, actor))


async def staff_account(db: asyncpg.Pool | asyncpg.Connection, username: str) -> LocalActor:
    user = await actors.local_actor_by_username(db, username)
    if user is None or user.kind != "Person":
        raise VerificationError(f"no staff account named {username!r}", 404)
    return user


async def verify_staff(
    ctx: FederationContext, user: LocalActor, credential: str, *, by: str, who: str
) -> StaffVerification:
    """Verify ``user`` (role professional) on the word of the admin named ``by``."""
    if user.kind != "Person" or user.role != "professional":
        raise VerificationError(
            f"{user.username} has the role {user.role or 'none'}: only staff with the "
            "professional role can be verified"
        )
    credential = clean_credential(credential)
    async with ctx.pool.acquire() as conn, conn.transaction():
        admin = await actors.local_actor_by_username(conn, by)
        if admin is None or admin.kind != "Person" or admin.role != "admin":
            raise VerificationError(f"{by!r} is not an admin of this instance", 400)
        found = await store.set_staff(conn, user.id, credential, admin.username)
        await audit.record(
            conn, who=who, action="staff_verify", target=outbox.actor_id(ctx, user),
            details={"credential": credential, "verified_by": admin.username},
        )  # fmt: skip
        await _send_update(ctx, conn, user)
    return found


async def unverify_staff(ctx: FederationContext, user: LocalActor, *, who: str) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await store.remove_staff(conn, user.id):
            raise VerificationError(f"{user.username} is not verified")
        await audit.record(
            conn, who=who, action="staff_unverify", target=outbox.actor_id(ctx, user)
        )
        await _send_update(ctx, conn, user)


async def _send_update(ctx: FederationContext, conn: asyncpg.Connection, user: LocalActor) -> None:
    """Followers' servers show the new profile fields (as for a group's settings)."""
    document = await published_actor(conn, user, ctx.urls)
    document.pop("@context", None)
    user_uri = outbox.actor_id(ctx, user)
    update = outbox.new_activity(
        ctx, user, "Update", document, to=[PUBLIC], cc=[f"{user_uri}/followers"]
    )
    update["@context"] = ACTOR_CONTEXT  # PropertyValue and value, as in the actor
    await outbox.send(ctx, conn, user, update, [], to_followers=True)


async def mark_member(
    ctx: FederationContext, group: LocalActor, actor_uri: str, role: str, credential: str,
    *, who: str,
) -> VerifiedMember:  # fmt: skip
    """Mark a member of ``group`` as verified in it; marking again replaces the mark."""
    if role not in MEMBER_ROLES:
        raise VerificationError(f"role must be one of {', '.join(MEMBER_ROLES)}", 400)
    credential = clean_credential(credential)
    group_uri = outbox.actor_id(ctx, group)
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await store.is_member(conn, group_uri, actor_uri):
            raise VerificationError(f"{actor_uri} is not a member of {group.username}")
        found = await store.mark_member(conn, group.id, actor_uri, role, credential, who)
        await audit.record(
            conn, who=who, action="member_verify", target=actor_uri,
            details={"group": group_uri, "role": role, "credential": credential},
        )  # fmt: skip
    return found


async def unmark_member(
    ctx: FederationContext, group: LocalActor, actor_uri: str, *, who: str
) -> None:
    group_uri = outbox.actor_id(ctx, group)
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await store.unmark_member(conn, group.id, actor_uri):
            raise VerificationError(f"{actor_uri} is not verified in {group.username}")
        await audit.record(
            conn, who=who, action="member_unverify", target=actor_uri,
            details={"group": group_uri},
        )  # fmt: skip
