"""The admin API for verified roles: an admin verifies a professional staff account
(``/users/NAME/verification``); moderators mark a group's members as verified peer
supporters or professionals (``/groups/SLUG/verified``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from federation import verification
from federation.verification import MAX_CREDENTIAL, MEMBER_ROLES, ROLE_LABELS, VerificationError
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import (
    endpoint,
    federation_context,
    group_by_slug,
    require_group_moderator,
    who,
)
from server.api.moderation import require_admin
from storage import verification as store
from storage.actors import LocalActor
from storage.verification import StaffVerification, VerifiedMember


def _refused(exc: VerificationError) -> ApiError:
    error = {400: "invalid_request", 404: "not_found"}.get(exc.status, "conflict")
    return ApiError(exc.status, error, str(exc))


def describe_staff(user: LocalActor, found: StaffVerification | None) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "verified": found is not None,
        "credential": found.credential if found else None,
        "verified_by": found.verified_by if found else None,
        "verified_at": found.verified_at.isoformat() if found else None,
    }


def describe_member(member: VerifiedMember) -> dict[str, Any]:
    return {
        "actor": member.actor_uri, "role": member.role, "label": ROLE_LABELS[member.role],
        "credential": member.credential, "marked_by": member.marked_by,
        "marked_at": member.marked_at.isoformat(),
    }  # fmt: skip


@endpoint
async def staff_verification(request: Request, staff: LocalActor) -> dict[str, Any]:
    """GET: the account's verification; POST ``{action: verify, credential}`` or
    ``{action: unverify}`` (admins only)."""
    ctx = federation_context(request)
    try:
        user = await verification.staff_account(ctx.pool, request.path_params["username"])
    except VerificationError as exc:
        raise _refused(exc) from None
    if request.method == "POST":
        require_admin(staff)
        data = await body.read(
            request, {"action": body.one_of("verify", "unverify")},
            {"credential": body.text(MAX_CREDENTIAL)},
        )  # fmt: skip
        if data["action"] == "verify" and "credential" not in data:
            raise ApiError(400, "invalid_request", "give the credential",
                           {"credential": "required to verify"})  # fmt: skip
        try:
            if data["action"] == "verify":
                await verification.verify_staff(
                    ctx, user, data["credential"], by=staff.username, who=who(request, staff)
                )
            else:
                await verification.unverify_staff(ctx, user, who=who(request, staff))
        except VerificationError as exc:
            raise _refused(exc) from None
    return describe_staff(user, await store.staff(ctx.pool, user.id))


@endpoint
async def group_verified(request: Request, staff: LocalActor) -> dict[str, Any]:
    """GET: the group's verified members; POST ``{actor, action: verify, role, credential}``
    or ``{actor, action: unverify}``."""
    ctx = federation_context(request)
    group = await group_by_slug(request, request.path_params["slug"])
    group_uri = ctx.urls.actor("Group", group.username)
    if request.method == "POST":
        await require_group_moderator(request, staff, group)
        data = await body.read(
            request, {"actor": body.url, "action": body.one_of("verify", "unverify")},
            {"role": body.one_of(*MEMBER_ROLES), "credential": body.text(MAX_CREDENTIAL)},
        )  # fmt: skip
        missing = {f: "required to verify" for f in ("role", "credential") if f not in data}
        if data["action"] == "verify" and missing:
            raise ApiError(400, "invalid_request", "give the role and credential", missing)
        try:
            if data["action"] == "verify":
                await verification.mark_member(
                    ctx, group, data["actor"], data["role"], data["credential"],
                    who=who(request, staff),
                )  # fmt: skip
            else:
                await verification.unmark_member(ctx, group, data["actor"], who=who(request, staff))
        except VerificationError as exc:
            raise _refused(exc) from None
    members = await store.members(ctx.pool, group.id, group_uri)
    return {"group": group.username, "verified": [describe_member(m) for m in members]}
