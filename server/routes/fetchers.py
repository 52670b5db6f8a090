"""Signed fetches from a suspended domain are refused (403) before anything is served: the
signature's key names the fetching server, as Mastodon's authorized fetch reads it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import wraps

from starlette.requests import Request
from starlette.responses import Response

from federation.wire import host_of
from server.routes.negotiation import json_error

# keyId="..." (draft-cavage) or keyid="..." (RFC 9421 Signature-Input parameter).
_KEY_ID = re.compile(r'key[iI]d="([^"]+)"')

Handler = Callable[[Request], Awaitable[Response]]


def refuse_suspended_fetchers(handler: Handler) -> Handler:
    @wraps(handler)
    async def guarded(request: Request) -> Response:
        moderation = request.app.state.federation.moderation
        for name in ("signature", "signature-input", "authorization"):
            for key_id in _KEY_ID.findall(request.headers.get(name, "")):
                host = host_of(key_id)
                if host and await moderation.domain_blocked(host):
                    return json_error(403, "domain_blocked", f"{host} is blocked by this instance")
        return await handler(request)

    return guarded
