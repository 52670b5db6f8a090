"""``POST /inbox`` (shared) and ``POST /{groups,users}/NAME/inbox``: thin — read the body
within limits, hand it to the federation pipeline, answer 202 or the refusal."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from federation.cache import TTLCache
from federation.inbox.outcome import Refused
from federation.inbox.pipeline import InboxRequest
from server.routes.negotiation import json_error
from server.routes.paths import local_actor_for_path, raw_target

MAX_BODY = 1024 * 1024  # 1 MiB, as Mastodon
ACCEPTED_TYPES = ("application/activity+json", "application/ld+json")


async def inbox(request: Request) -> Response:
    recipient = await _recipient(request)
    if isinstance(recipient, Response):
        return recipient
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        return json_error(
            415, "unsupported_media_type", "send application/activity+json or application/ld+json"
        )
    body = await _read_body(request)
    if isinstance(body, Response):
        return body
    settings = request.app.state.settings
    incoming = InboxRequest(
        method=request.method,
        raw_target=raw_target(request),
        scheme=settings.base_url.split("://", 1)[0],
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
        body=body,
        recipient=recipient,
    )
    try:
        accepted = await request.app.state.inbox_pipeline.receive(incoming)
    except Refused as refused:
        return json_error(refused.status, refused.reason, refused.detail)
    return JSONResponse({"status": "accepted", "id": accepted.activity_id}, status_code=202)


async def _recipient(request: Request) -> str | Response | None:
    if request.url.path.strip("/") == "inbox":
        return None  # the shared inbox
    # Which personal inboxes exist is asked on every POST; hits are remembered for seconds.
    inboxes: TTLCache[str, str] = request.app.state.known_inboxes
    known = inboxes.get(request.url.path)
    if known is not None:
        return known
    found = await local_actor_for_path(request)
    if found is None:
        return json_error(404, "not_found", "no such inbox")
    return inboxes.put(request.url.path, found.username)


async def _read_body(request: Request) -> bytes | Response:
    declared = request.headers.get("content-length")
    too_large = json_error(413, "body_too_large", "the body is over 1 MiB")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return too_large
            chunks.append(chunk)
    except ClientDisconnect:
        return json_error(400, "incomplete_body", "the client disconnected")
    return b"".join(chunks)
