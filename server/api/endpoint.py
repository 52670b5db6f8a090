"""What every admin API endpoint shares: authenticate the caller, run, answer JSON; a
refusal (``ApiError``, or one from the federation code) becomes a 4xx with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from federation import membership, moderation_team, pins
from federation.context import FederationContext
from federation.local import LocalActorError
from federation.remote import RemoteError
from federation.reporting import ReportError
from federation.review import ReviewError
from federation.sanctions import SanctionError
from moderation.blocklists.service import BlocklistError
from server.api.auth import ApiError, caller
from storage import actors, moderators
from storage.actors import LocalActor

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Created:
    """A handler's result that made something new: answered 201."""

    data: dict[str, Any]


def endpoint(handler: Callable[[Request, LocalActor], Awaitable[Any]]) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            staff = await caller(request)
            if any("\x00" in v for v in request.path_params.values()):
                raise ApiError(404, "not_found", "no such thing")  # PostgreSQL text has no NUL
            result = await handler(request, staff)
        except ApiError as exc:
            payload: dict[str, Any] = {"error": exc.error, "detail": exc.detail}
            if exc.fields:
                payload["fields"] = exc.fields
            return JSONResponse(payload, status_code=exc.status)
        except (
            membership.MembershipError, moderation_team.ModeratorError, pins.PinError,
            LocalActorError, SanctionError,
        ) as exc:  # fmt: skip
            return JSONResponse({"error": "conflict", "detail": str(exc)}, status_code=409)
        except (ReviewError, ReportError, BlocklistError) as exc:
            error = {404: "not_found", 409: "conflict"}.get(exc.status, "refused")
            return JSONResponse({"error": error, "detail": str(exc)}, status_code=exc.status)
        except RemoteError as exc:
            return JSONResponse(
                {"error": "remote_unreachable", "detail": str(exc)}, status_code=422
            )
        status = 200
        if isinstance(result, Created):
            status, result = 201, result.data
        return JSONResponse(result, status_code=status)

    return wrapped


def who(request: Request, staff: LocalActor) -> str:
    """How the audit log names a staff member: their actor's URI."""
    return request.app.state.urls.actor(staff.kind, staff.username)


def federation_context(request: Request) -> FederationContext:
    return request.app.state.federation


async def require_group_moderator(request: Request, staff: LocalActor, group: LocalActor) -> None:
    """The group's own moderators and the instance's admins; no other staff account (what a
    group tells people in crisis, who it marks verified, who it bans, is its own)."""
    pool = request.app.state.database.pool
    if staff.role != "admin" and not await moderators.is_moderator(
        pool, group.id, who(request, staff)
    ):
        raise ApiError(
            403, "forbidden", "only this group's moderators and the instance's admins may do this"
        )


async def group_by_slug(request: Request, slug: str) -> LocalActor:
    """The group named ``slug``, or a 404."""
    if "\x00" in slug:
        raise ApiError(404, "not_found", "no such group")
    group = await actors.local_actor_by_username(request.app.state.database.pool, slug)
    if group is None or group.kind != "Group":
        raise ApiError(404, "not_found", "no such group")
    return group
