"""The admin API for crisis resources: the instance's directory (admins) and each group's
own lines (its moderators too), and pinning a group's lines to its featured collection."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from moderation.crisis.messages import TEMPLATES
from moderation.crisis.resources import KINDS, is_country, is_language, shown
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import (
    Created,
    endpoint,
    federation_context,
    group_by_slug,
    require_group_moderator,
    who,
)
from server.api.moderation import _int_param, _query, require_admin
from server.crisis_pin import pin_resources
from storage import actors, audit, resources
from storage.actors import LocalActor


def _country(value: Any) -> str | None:
    ok = isinstance(value, str) and is_country(value, international=True)
    return None if ok else "must be a two-letter ISO country code, or INT"


def _languages(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and is_language(v) for v in value):
        return None
    return "must be a list of language codes such as en, pt"


async def _scope(request: Request, staff: LocalActor, slug: str | None) -> LocalActor | None:
    """A group's own lines are its moderators'; the instance's directory the admins'."""
    if slug is None:
        require_admin(staff)
        return None
    group = await group_by_slug(request, slug)
    await require_group_moderator(request, staff, group)
    return group


@endpoint
async def directory(request: Request, staff: LocalActor) -> Any:
    """GET: the instance's lines and, with ``?group=SLUG``, that group's own. POST: add one
    (``group`` for a group's own; source and date shown to people)."""
    pool = request.app.state.database.pool
    if request.method == "GET":
        slug = _query(request, "group")
        group = await group_by_slug(request, slug) if slug else None
        country = (_query(request, "country") or "").upper() or None
        rows = await resources.listing(pool, country=country, group_id=group.id if group else None)
        return [shown(r) for r in rows]
    data = await body.read(
        request,
        {"country": _country, "name": body.text(200)},
        {"kind": body.one_of(*KINDS), "phone": body.text(64), "url": body.url,
         "hours": body.text(200), "languages": _languages, "source": body.text(500),
         "checked_on": body.text(32), "group": body.text(64)},
    )  # fmt: skip
    group = await _scope(request, staff, data.pop("group", None))
    data["country"] = data["country"].upper()
    if not data.get("phone") and not data.get("url"):
        raise ApiError(400, "invalid_request", "a resource needs a phone number or a URL",
                       {"phone": "required without url"})  # fmt: skip
    data.setdefault("source", f"added by {staff.username}")
    data.setdefault("kind", "crisis_line")
    group_id = group.id if group else None
    async with pool.acquire() as conn, conn.transaction():
        row = await resources.add_one(conn, data, group_id)
        if row is None:
            raise ApiError(409, "conflict", f"{data['name']} with that phone is already listed "
                           f"for {data['country']}: remove it first to change it")  # fmt: skip
        await audit.record(
            conn, who=who(request, staff), action="resource_add",
            target=group.username if group else "instance", reason="",
            details={"name": data["name"], "country": data["country"]},
        )  # fmt: skip
    return Created(shown(row))


@endpoint
async def remove(request: Request, staff: LocalActor) -> dict[str, Any]:
    pool = request.app.state.database.pool
    resource_id = _int_param(request)
    row = await resources.get(pool, resource_id)
    if row is None:
        raise ApiError(404, "not_found", "no such resource")
    group = await actors.local_actor_by_id(pool, row["group_id"]) if row["group_id"] else None
    if group is None:
        require_admin(staff)
    else:
        await require_group_moderator(request, staff, group)
    async with pool.acquire() as conn, conn.transaction():
        await resources.remove(conn, resource_id)
        await audit.record(
            conn, who=who(request, staff), action="resource_remove",
            target=f"resource:{resource_id}", reason="", details={},
        )  # fmt: skip
    return {"removed": resource_id}


@endpoint
async def pin(request: Request, staff: LocalActor) -> Any:
    """The group publishes its crisis lines (in ``lang``, default en) and pins the post."""
    group = await group_by_slug(request, request.path_params["slug"])
    await require_group_moderator(request, staff, group)
    data = await body.read(request, {}, {"lang": body.one_of(*TEMPLATES)})
    note, title = await pin_resources(
        federation_context(request), group, data.get("lang", "en"),
        request.app.state.settings.base_url, who=who(request, staff),
    )  # fmt: skip
    return Created({"note": note, "title": title})
