"""HTML pages, rendered with Jinja2 templates that autoescape everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from federation.verification import ROLE_LABELS
from moderation.blocklists.formats import obfuscated
from storage import actors, blocklists, resources, verification
from storage.actors import LocalActor

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def index(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    urls = request.app.state.urls
    groups = [
        {"name": g.name, "summary": g.summary, "url": urls.actor("Group", g.username),
         "handle": f"@{g.username}@{urls.domain}"}
        for g in await actors.list_local_actors(request.app.state.database.pool, "Group")
        if g.discoverable
    ]  # fmt: skip
    return templates.TemplateResponse(
        request,
        "index.html",
        {"instance_name": settings.instance_name, "domain": settings.domain, "groups": groups},
    )


async def about_moderation(request: Request) -> HTMLResponse:
    """The instance's rules, its enforced domain blocks with their public reasons
    (obfuscated where marked) and the policies in force with their public parameters."""
    described = request.app.state.federation.moderation.describe()
    blocks = [
        {"domain": obfuscated(b.domain) if b.obfuscate else b.domain,
         "severity": "limited" if b.severity == "silence" else "suspended",
         "comment": b.comment}
        for b in await blocklists.blocks(request.app.state.database.pool)
        if b.severity != "noop"
    ]  # fmt: skip
    return templates.TemplateResponse(
        request,
        "about_moderation.html",
        {
            "instance_name": request.app.state.settings.instance_name,
            "rules": described["rules"],
            "blocks": blocks,
            "policies": described["policies"],
        },
    )


async def resources_page(request: Request) -> HTMLResponse:
    """The crisis resources: the instance's country first, then every other country's."""
    rows = await resources.listing(request.app.state.database.pool)
    home = request.app.state.settings.default_country
    lines = sorted(
        (r for r in rows if r["kind"] in ("crisis_line", "emergency", "local_service")),
        key=lambda r: (r["country"] != home, r["country"], r["kind"] != "crisis_line"),
    )
    return templates.TemplateResponse(request, "resources.html", {"lines": lines})


async def group_resources(request: Request, group: LocalActor) -> dict[str, Any]:
    """For a group's page: its own crisis lines, then the instance's for its country."""
    if group.kind != "Group":
        return {}
    moderation = request.app.state.federation.moderation
    country = await moderation.group_country(group.id)
    return {"resources": await resources.of_group(request.app.state.database.pool, group.id,
                                                  country)}  # fmt: skip


async def verified_roles(
    request: Request, actor: LocalActor, posts: list[dict[str, Any]]
) -> dict[str, Any]:
    """For an actor's page: a professional's verification; a group's verified members, and
    their posts among ``posts`` marked (each gets ``verified``: the label, or None)."""
    pool = request.app.state.database.pool
    if actor.kind == "Person":
        found = await verification.staff(pool, actor.id)
        return {"verification": found if actor.role == "professional" else None}
    if actor.kind != "Group":
        return {}
    group_uri = request.app.state.urls.actor("Group", actor.username)
    members = [
        {"name": m.name or m.preferred_username or m.actor_uri, "url": m.actor_uri,
         "handle": f"@{m.preferred_username}@{m.domain}" if m.preferred_username else "",
         "label": ROLE_LABELS[m.role], "credential": m.credential}
        for m in await verification.members(pool, actor.id, group_uri)
    ]  # fmt: skip
    roles = await verification.roles_of_posts(
        pool, actor.id, group_uri, [str(p["uri"]) for p in posts]
    )
    for post in posts:
        role = roles.get(str(post["uri"]))
        post["verified"] = ROLE_LABELS[role] if role else None
    return {"verified_members": members}
