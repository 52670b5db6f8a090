"""Discovery: WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from federation import documents
from federation.urls import LocalUrls
from server.commands.version import installed_version
from server.routes.negotiation import json_error
from storage import actors, domain_blocks

JRD = "application/jrd+json"


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return json_error(400, "missing_resource", "the resource parameter is required")
    urls = request.app.state.urls
    username = _username_for(resource, urls)
    if username is None:
        return json_error(404, "not_found", "no such account on this instance")
    actor = await actors.local_actor_by_username(request.app.state.database.pool, username)
    if actor is None:
        return json_error(404, "not_found", "no such account on this instance")
    return JSONResponse(documents.webfinger_document(actor, urls), media_type=JRD)


def _username_for(resource: str, urls: LocalUrls) -> str | None:
    """``acct:NAME@HOST`` (or ``NAME@HOST``, ``@NAME@HOST``), or one of our actor URLs."""
    if resource.startswith(("http://", "https://")):
        parsed = urls.parse_actor(resource)
        return parsed[1] if parsed else None
    account = unquote(resource)
    account = account.removeprefix("acct:").lstrip("@")
    name, sep, host = account.rpartition("@")
    if not sep or not name or host.lower() != urls.domain.lower():
        return None
    return name.lower()


async def host_meta(request: Request) -> Response:
    urls = request.app.state.urls
    return Response(documents.host_meta_xml(urls), media_type="application/xrd+xml")


async def host_meta_json(request: Request) -> Response:
    return JSONResponse(documents.host_meta_json(request.app.state.urls))


async def nodeinfo_links(request: Request) -> Response:
    return JSONResponse(documents.nodeinfo_links(request.app.state.urls))


async def nodeinfo(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return json_error(404, "not_found", "NodeInfo 2.0 and 2.1 are served")
    pool = request.app.state.database.pool
    doc = documents.nodeinfo_document(
        version,
        software_version=installed_version(),
        users=await actors.count_local_actors(pool, "Person"),
        groups=await actors.count_local_actors(pool, "Group"),
        local_posts=0,
        blocked_domains=await domain_blocks.count(pool),
        instance_name=request.app.state.settings.instance_name,
        policies=request.app.state.federation.moderation.describe(),
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(doc, media_type=f'application/json; profile="{profile}"')
