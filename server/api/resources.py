"""The admin API for crisis resources: the instance's directory (admins) and each group's
own lines (its moderators too), and pinning a group's lines to its featured collection."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from federation import pins
from moderation.gate import Moderation
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import Created, endpoint, federation_context, group_by_slug, who
from server.api.moderation import _int_param, require_admin
from storage import audit, resources
from storage.actors import LocalActor

KINDS = ("crisis_line", "emergency", "local_service", "self_help")
FIELDS = ("id", "group_id", "country", "name", "kind", "phone", "url", "hours", "languages",
          "source", "checked_on")  # fmt: skip


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: list(row[k]) if k == "languages" else row[k] for k in FIELDS}


def _country(value: Any) -> str | None:
    ok = isinstance(value, str) and (value.upper() == "INT" or (
        len(value) == 2 and value.isascii() and value.isalpha()))  # fmt: skip
    return None if ok else "must be a two-letter ISO country code, or INT"


def _languages(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and 2 <= len(v) <= 3 for v in value):
        return None
    return "must be a list of language codes such as en, pt"


async def _scope(request: Request, staff: LocalActor, slug: str | None) -> LocalActor | None:
    """A group's own lines are its moderators'; the instance's directory the admins'."""
    if slug is None:
        require_admin(staff)
        return None
    return await group_by_slug(request, slug)


@endpoint
async def directory(request: Request, staff: LocalActor) -> Any:
    """GET: the instance's lines and, with ``?group=SLUG``, that group's own. POST: add one
    (``group`` for a group's own; source and date shown to people)."""
    pool = request.app.state.database.pool
    if request.method == "GET":
        slug = request.query_params.get("group")
        group = await group_by_slug(request, slug) if slug else None
        country = (request.query_params.get("country") or "").upper() or None
        rows = await resources.listing(pool, country=country, group_id=group.id if group else None)
        return [public(r) for r in rows]
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
        await resources.add_many(conn, [data], group_id)
        await audit.record(
            conn, who=who(request, staff), action="resource_add",
            target=group.username if group else "instance", reason="",
            details={"name": data["name"], "country": data["country"]},
        )  # fmt: skip
    rows = await resources.listing(pool, country=data["country"], group_id=group_id)
    [row] = [r for r in rows if r["name"] == data["name"] and r["group_id"] == group_id
             and r["phone"] == data.get("phone", "")]  # fmt: skip
    return Created(public(row))


@endpoint
async def remove(request: Request, staff: LocalActor) -> dict[str, Any]:
    pool = request.app.state.database.pool
    resource_id = _int_param(request)
    row = await pool.fetchrow("SELECT group_id FROM crisis_resources WHERE id = $1", resource_id)
    if row is None:
        raise ApiError(404, "not_found", "no such resource")
    if row["group_id"] is None:
        require_admin(staff)
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
    data = await body.read(request, {}, {"lang": body.one_of("en", "es", "de", "fr", "pt")})
    lang = data.get("lang", "en")
    moderation: Moderation = request.app.state.federation.moderation
    page = f"{request.app.state.settings.base_url}/resources"
    title, paragraphs = await moderation.resources_post(lang, group.id, page)
    ctx = federation_context(request)
    note = await pins.publish(ctx, group, title, paragraphs, lang)
    await audit.record(
        ctx.pool, who=who(request, staff), action="resource_pin", target=note, reason="",
        details={"group": group.username},
    )  # fmt: skip
    return Created({"note": note, "title": title})
