"""The admin API for anonymous submissions, under ``/api/v1/admin/anonymous``: for the
group's moderators and the instance's admins only. The listing and decisions show the text,
never the author; ``unseal`` shows the author, with a reason, audited each time; ``bans``
bans the author through the post without showing who it is."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from starlette.requests import Request

from federation import anonymous
from federation.anonymous import AnonymousError
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import (
    endpoint,
    federation_context,
    group_by_slug,
    require_group_moderator,
    who,
)
from storage import actors
from storage import anonymous as store
from storage.actors import LocalActor
from storage.anonymous import Submission

T = TypeVar("T")

STATES = ("pending", "approved", "declined", "withdrawn", "all")


def describe(submission: Submission, group: LocalActor) -> dict[str, Any]:
    return {
        "id": submission.id, "group": group.username, "content": submission.content,
        "summary": submission.summary, "sensitive": submission.sensitive,
        "state": submission.state, "received_at": submission.received_at.isoformat(),
        "decided_by": submission.decided_by,
        "decided_at": submission.decided_at.isoformat() if submission.decided_at else None,
        "note": submission.note, "published": submission.note_uri,
        "author_banned": submission.author_banned, "mark": submission.mark,
    }  # fmt: skip


async def _refusing(call: Awaitable[T]) -> T:
    """The federation code's refusals as the API's (their messages never name the author)."""
    try:
        return await call
    except AnonymousError as exc:
        error = {400: "invalid_request", 404: "not_found", 409: "conflict"}[exc.status]
        raise ApiError(exc.status, error, str(exc)) from None


async def _submission(
    request: Request, staff: LocalActor, *, submission_id: int | None, note_uri: str | None = None
) -> tuple[Submission, LocalActor]:
    ctx = federation_context(request)
    found = await _refusing(anonymous.submission_and_group(ctx, submission_id, note_uri))
    await require_group_moderator(request, staff, found[1])
    return found


def _id(request: Request) -> int:
    raw = request.path_params["id"]
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
        raise ApiError(404, "not_found", "no such anonymous submission")
    return int(raw)


@endpoint
async def listing(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    """Submissions (?group=SLUG, ?state=pending|approved|declined|all): an admin's of every
    group, a moderator's of the groups they moderate."""
    pool = request.app.state.database.pool
    state = request.query_params.get("state", "pending")
    if state not in STATES:
        raise ApiError(400, "invalid_request", f"state must be one of {', '.join(STATES)}")
    slug = request.query_params.get("group")
    group_ids = None
    if slug:
        group = await group_by_slug(request, slug)
        await require_group_moderator(request, staff, group)
        group_ids = [group.id]
    moderator = None if staff.role == "admin" or slug else who(request, staff)
    found = await store.listing(
        pool, group_ids, state=None if state == "all" else state, moderator=moderator
    )
    groups = {gid: await actors.local_actor_by_id(pool, gid) for gid in {s.group_id for s in found}}
    return [describe(s, g) for s in found if (g := groups[s.group_id]) is not None]


@endpoint
async def decide(request: Request, staff: LocalActor) -> dict[str, Any]:
    submission, group = await _submission(request, staff, submission_id=_id(request))
    data = await body.read(
        request, {"decision": body.one_of("approve", "decline")}, {"note": body.text(1000)}
    )
    act = anonymous.approve if data["decision"] == "approve" else anonymous.decline
    outcome = await _refusing(
        act(federation_context(request), submission.id, who=who(request, staff),
            note=data.get("note", ""))
    )  # fmt: skip
    return {**describe(outcome.submission, group), "effects": outcome.effects}


@endpoint
async def unseal(request: Request, staff: LocalActor) -> dict[str, Any]:
    submission, group = await _submission(request, staff, submission_id=_id(request))
    data = await body.read(request, {"reason": body.text(1000)})
    unsealed = await _refusing(
        anonymous.unseal(
            federation_context(request), submission.id, who=who(request, staff),
            reason=data["reason"],
        )
    )  # fmt: skip
    seal = unsealed.seal
    return {
        "id": submission.id, "group": group.username, "author": seal.actor_uri,
        "handle": unsealed.handle, "activity": seal.activity_uri, "object": seal.object_uri,
        "note": "this view was recorded in the audit log with your reason",
    }  # fmt: skip


def _submission_id(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
    return None if ok else "must be a submission's id"


@endpoint
async def ban(request: Request, staff: LocalActor) -> dict[str, Any]:
    """Ban the author of an anonymous post (by the submission's id or the published note's
    URL) from its group, without showing who it is."""
    data = await body.read(
        request, {},
        {"submission": _submission_id, "note": body.url, "reason": body.text(500),
         "days": body.days},
    )  # fmt: skip
    if ("submission" in data) == ("note" in data):
        fields = {"submission": "give the submission's id or the published note's URL"}
        raise ApiError(400, "invalid_request", "give submission or note", fields)
    submission, group = await _submission(
        request, staff, submission_id=data.get("submission"), note_uri=data.get("note")
    )
    ends = datetime.now(UTC) + timedelta(days=data["days"]) if "days" in data else None
    banned = await _refusing(
        anonymous.ban_author(
            federation_context(request), submission, group, who=who(request, staff),
            reason=data.get("reason", ""), ends_at=ends,
        )
    )  # fmt: skip
    return {**describe(banned, group), "ends_at": ends.isoformat() if ends else None}
