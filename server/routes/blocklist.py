"""Our own blocklist, published for other admins to subscribe to (when
``PEERHAVEN_PUBLISH_BLOCKLIST`` is on): ``/api/v1/instance/domain_blocks`` in Mastodon's
shape and ``/blocklist.csv`` in Mastodon's CSV, with ``ETag`` and ``Last-Modified`` for
conditional GETs. Entries marked obfuscated are published starred, with their digest."""

from __future__ import annotations

import hashlib
import json
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import Response

from moderation.blocklists.formats import mastodon_csv, obfuscated, public_json
from moderation.blocklists.model import BlockEntry
from moderation.blocklists.service import entry_of
from server.routes.negotiation import json_error
from storage import blocklists


async def _published(request: Request) -> list[blocklists.BlockRow] | None:
    if not request.app.state.settings.publish_blocklist:
        return None
    rows = await blocklists.blocks(request.app.state.database.pool)
    # What people are limited by: suspensions and silences, and media rejections.
    return [r for r in rows if r.severity != "noop" or r.reject_media]


def _answer(
    request: Request, body: str, media_type: str, rows: list[blocklists.BlockRow]
) -> Response:
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if rows:
        headers["Last-Modified"] = format_datetime(max(r.updated_at for r in rows), usegmt=True)
    asked = {
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    }
    if etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def domain_blocks_json(request: Request) -> Response:
    rows = await _published(request)
    if rows is None:
        return json_error(404, "not_found", "this instance does not publish its blocklist")
    doc = [public_json(entry_of(r)) for r in rows]
    return _answer(request, json.dumps(doc, ensure_ascii=False), "application/json", rows)


async def blocklist_csv(request: Request) -> Response:
    rows = await _published(request)
    if rows is None:
        return json_error(404, "not_found", "this instance does not publish its blocklist")
    public = [entry_of(r) for r in rows]
    starred = [
        BlockEntry(**{**e.__dict__, "domain": obfuscated(e.domain)}) if e.obfuscate else e
        for e in public
    ]
    return _answer(request, mastodon_csv(starred), "text/csv; charset=utf-8", rows)
