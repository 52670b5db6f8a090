"""Content negotiation and JSON answers for ActivityPub endpoints."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

AP_TYPES = ("application/activity+json", "application/ld+json")
AP_RESPONSE_TYPE = "application/activity+json"


def wants_activity_json(request: Request) -> bool:
    """True for ``application/activity+json`` or ``application/ld+json`` (any profile) in
    Accept. Browsers send text/html first and get the HTML page."""
    accept = request.headers.get("accept", "").lower()
    return any(t in accept for t in AP_TYPES)


class ActivityJSONResponse(Response):
    media_type = AP_RESPONSE_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_error(status: int, reason: str, detail: str) -> Response:
    """A 4xx/5xx with a machine-readable reason and a safe human message."""
    body = json.dumps({"error": reason, "detail": detail}).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")
