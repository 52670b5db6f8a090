"""Signed fetches from a suspended domain are refused (403) before anything is served: the
signature's key names the fetching server, as Mastodon's authorized fetch reads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from federation.inbox.pipeline import signing_hosts
from server.routes.negotiation import json_error

Handler = Callable[[Request], Awaitable[Response]]


def refuse_suspended_fetchers(handler: Handler) -> Handler:
    @wraps(handler)
    async def guarded(request: Request) -> Response:
        moderation = request.app.state.federation.moderation
        for host in sorted(signing_hosts(request.headers.items())):
            if await moderation.domain_blocked(host):
                return json_error(403, "domain_blocked", f"{host} is blocked by this instance")
        return await handler(request)

    return guarded
