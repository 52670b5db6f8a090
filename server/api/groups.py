"""The admin API for groups and staff posts, under ``/api/v1/admin/``: each endpoint checks
the caller and the body, then calls the same code as the CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation import group_settings, membership, moderation_team, pins, posting, relay
from federation.anonymous import check_keyword
from server import new_group
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import Created, endpoint, group_by_slug, require_group_moderator, who
from server.api.endpoint import federation_context as _ctx
from storage import actors, moderators
from storage import anonymous as anonymous_settings
from storage.actors import LocalActor

Handler = Callable[[Request], Awaitable[Response]]

SETTINGS: dict[str, body.Check] = {
    "name": body.text(200),
    "summary": body.text(5000),
    "rules": body.text_list,
    "icon_url": body.url,
    "membership": body.one_of("open", "approval"),
    "visibility": body.one_of("public", "members"),
    "posting": body.one_of("members", "anyone", "moderators"),
    "replies": body.one_of("all", "top-level"),
    "discoverable": body.boolean,
    "hide_members": body.boolean,
    "anonymous_keyword": check_keyword,
}


async def _group(request: Request) -> LocalActor:
    return await group_by_slug(request, request.path_params["slug"])


def _describe(request: Request, group: LocalActor) -> dict[str, Any]:
    return {
        "slug": group.username,
        "url": request.app.state.urls.actor("Group", group.username),
        "name": group.name,
        "summary": group.summary,
        "rules": list(group.rules),
        "icon_url": group.icon_url,
        "membership": "approval" if group.manually_approves_followers else "open",
        "visibility": group.visibility,
        "posting": group.posting,
        "replies": group.replies,
        "discoverable": group.discoverable,
        "hide_members": group.hide_followers,
    }


@endpoint
async def list_groups(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    groups = await actors.list_local_actors(request.app.state.database.pool, "Group")
    return [_describe(request, g) for g in groups]


@endpoint
async def create_group(request: Request, staff: LocalActor) -> Created:
    data = await body.read(
        request, {"slug": body.text(64), "name": body.text(200)},
        {"summary": body.text(5000), "approval": body.boolean,
         "content_warnings": body.one_of(*new_group.CONTENT_WARNINGS)},
    )  # fmt: skip
    group = await new_group.create_group(
        request.app.state.database.pool, slug=data["slug"], name=data["name"],
        summary=data.get("summary", ""), approval=data.get("approval", False),
        content_warnings=data.get("content_warnings", "add"),
    )  # fmt: skip
    return Created(_describe(request, group))


@endpoint
async def change_group(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    data = await body.read(request, {}, SETTINGS)
    renames = {"membership": "manually_approves_followers", "hide_members": "hide_followers",
               "rules": "rules"}  # fmt: skip
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "membership":
            value = value == "approval"
        if key == "rules":
            value = tuple(value)
        changes[renames.get(key, key)] = value
    if not changes:
        raise ApiError(400, "invalid_request", "nothing to change", {"*": "give a setting"})
    updated = await group_settings.change(_ctx(request), group, changes)
    keyword = await anonymous_settings.keyword(request.app.state.database.pool, group.id)
    return {**_describe(request, updated), "anonymous_keyword": keyword}


@endpoint
async def follow_requests(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    pending = await membership.pending_requests(_ctx(request), await _group(request))
    return [{"actor": f.follower_uri, "requested_at": f.created_at.isoformat()} for f in pending]


@endpoint
async def answer_request(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    data = await body.read(
        request, {"actor": body.url, "decision": body.one_of("approve", "reject")},
        {"confirm_new_instance": body.boolean},
    )  # fmt: skip
    await membership.answer(
        _ctx(request), group, data["actor"], approve=data["decision"] == "approve",
        confirm_new_instance=data.get("confirm_new_instance", False),
    )  # fmt: skip
    return {"actor": data["actor"], "decision": data["decision"]}


@endpoint
async def bans(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    await require_group_moderator(request, staff, group)
    data = await body.read(
        request, {"actor": body.url, "action": body.one_of("ban", "unban")},
        {"reason": body.text(500), "days": body.days},
    )  # fmt: skip
    if data["action"] == "unban":
        await membership.unban(_ctx(request), group, data["actor"], who=who(request, staff))
        return {"actor": data["actor"], "banned": False}
    ends = datetime.now(UTC) + timedelta(days=data["days"]) if "days" in data else None
    await membership.ban(
        _ctx(request), group, data["actor"], reason=data.get("reason", ""), ends_at=ends,
        who=who(request, staff),
    )  # fmt: skip
    return {"actor": data["actor"], "banned": True, "ends_at": ends.isoformat() if ends else None}


@endpoint
async def group_moderators(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    if request.method == "GET":
        return {"moderators": await moderators.of_group(request.app.state.database.pool, group.id)}
    data = await body.read(request, {"actor": body.url, "action": body.one_of("add", "remove")})
    await moderation_team.change(_ctx(request), group, data["actor"], add=data["action"] == "add")
    return {"actor": data["actor"], "moderator": data["action"] == "add"}


@endpoint
async def group_pins(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    data = await body.read(
        request, {"url": body.url, "action": body.one_of("pin", "unpin")},
        {"title": body.text(200)},
    )  # fmt: skip
    await pins.change(
        _ctx(request), group, data["url"], title=data.get("title"), pin=data["action"] == "pin"
    )
    return {"url": data["url"], "pinned": data["action"] == "pin"}


@endpoint
async def removals(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await _group(request)
    data = await body.read(request, {"object": body.url}, {"reason": body.text(500)})
    removed = await relay.remove(
        _ctx(request), group, data["object"], who=who(request, staff),
        reason=data.get("reason", ""),
    )  # fmt: skip
    if not removed:
        raise ApiError(404, "not_found", "the group has not relayed this post")
    return {"object": data["object"], "removed": True}


@endpoint
async def create_post(request: Request, staff: LocalActor) -> Created:
    data = await body.read(request, {"text": body.text(5000)}, {"group": body.text(2000)})
    group = data.get("group")
    if group is not None and "://" not in group:
        group = request.app.state.urls.actor("Group", group)
    note = await posting.publish(_ctx(request), staff, data["text"], group)
    return Created({"id": note["id"]})
