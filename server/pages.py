"""HTML pages, rendered with Jinja2 templates that autoescape everything."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from storage import actors

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
