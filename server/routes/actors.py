"""Actor documents and their collections, with content negotiation (JSON or the HTML page)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import documents, verification
from federation import pins as pins_of
from federation.signatures.types import SignedRequest
from federation.signatures.verify import verify_request
from federation.wire import host_of
from server import pages
from server.pages import templates
from server.routes.fetchers import refuse_suspended_fetchers
from server.routes.negotiation import ActivityJSONResponse, json_error, wants_activity_json
from server.routes.paths import local_actor_for_path, raw_target
from storage import follows, group_notes, group_posts, local_posts, moderators, pins

PAGE_SIZE = 20


@refuse_suspended_fetchers
async def actor(request: Request) -> Response:
    found = await local_actor_for_path(request)
    if found is None:
        return json_error(404, "not_found", "no such actor")
    urls = request.app.state.urls
    if wants_activity_json(request):
        pool = request.app.state.database.pool
        return ActivityJSONResponse(await verification.published_actor(pool, found, urls))
    posts: list[dict[str, object]] = []
    pinned: list[dict[str, object]] = []
    if found.kind == "Group":
        pool = request.app.state.database.pool
        pinned = await pins.of_group(pool, found.id)
        if found.visibility == "public":
            posts = await group_posts.recent_public(pool, found.id)
    return templates.TemplateResponse(
        request,
        "actor.html",
        {
            "instance_name": request.app.state.settings.instance_name,
            "actor": found,
            "handle": f"@{found.username}@{urls.domain}",
            "posts": posts,
            "pinned": pinned,
            **await pages.verified_roles(request, found, posts),
            **await pages.group_resources(request, found),
        },
        headers={"Vary": "Accept"},
    )


def _page_number(request: Request) -> int | Response | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        return json_error(400, "bad_page", "page must be a positive whole number")
    return int(raw)


@refuse_suspended_fetchers
async def collection(request: Request) -> Response:
    found = await local_actor_for_path(request)
    if found is None:
        return json_error(404, "not_found", "no such actor")
    page = _page_number(request)
    if isinstance(page, Response):
        return page
    name = request.url.path.rstrip("/").rsplit("/", 1)[1]
    urls = request.app.state.urls
    actor_id = urls.actor(found.kind, found.username)
    collection_id = f"{actor_id}/{name}"
    pool = request.app.state.database.pool
    offset = ((page or 1) - 1) * PAGE_SIZE
    if name == "followers":
        total, items = await follows.followers_page(pool, actor_id, PAGE_SIZE, offset)
        if found.hide_followers:
            # Hidden member list: only the count, as Mastodon does for hidden networks.
            return ActivityJSONResponse(
                documents.ordered_collection(collection_id, total, first_page=False)
            )
    elif name == "following":
        total, items = await follows.following_page(pool, actor_id, PAGE_SIZE, offset)
    elif name == "moderators" and found.kind == "Group":
        # Lemmy's shape: the whole (short) list inline, no pages.
        mods = await moderators.of_group(pool, found.id)
        doc = documents.ordered_collection(collection_id, len(mods), first_page=False)
        doc["orderedItems"] = mods
        return ActivityJSONResponse(doc)
    elif name == "featured" and found.kind == "Group":
        # Mastodon reads featured whole (its pinned statuses), so it is served inline.
        items = [pins_of.featured_item(p, found) for p in await pins.of_group(pool, found.id)]
        doc = documents.ordered_collection(collection_id, len(items), first_page=False)
        doc["orderedItems"] = items
        return ActivityJSONResponse(doc)
    elif name == "outbox" and found.kind == "Group" and found.visibility == "members":
        # Members-only: the count, never the posts.
        total = await group_posts.outbox_page(pool, found.id, 0, 0)
        return ActivityJSONResponse(
            documents.ordered_collection(collection_id, total[0], first_page=False)
        )
    elif name == "outbox" and found.kind == "Group":
        total, items = await group_posts.outbox_page(pool, found.id, PAGE_SIZE, offset)
    else:  # featured, and staff outboxes: not published yet
        total, items = 0, []
    if page is None:
        return ActivityJSONResponse(documents.ordered_collection(collection_id, total))
    return ActivityJSONResponse(
        documents.ordered_collection_page(
            collection_id, page, items, total=total, page_size=PAGE_SIZE
        )
    )


@refuse_suspended_fetchers
async def note(request: Request) -> Response:
    """A staff account's note at its id: JSON for ActivityPub clients, 410 once deleted."""
    found = await local_actor_for_path(request)
    if found is None:
        return json_error(404, "not_found", "no such note")
    urls = request.app.state.urls
    uri = f"{urls.actor(found.kind, found.username)}/notes/{request.path_params['note']}"
    post = await local_posts.get(request.app.state.database.pool, uri)
    if post is None or post[0] != found.id:
        return json_error(404, "not_found", "no such note")
    if post[2]:
        return ActivityJSONResponse({"id": uri, "type": "Tombstone"}, status_code=410)
    return ActivityJSONResponse(post[1])


@refuse_suspended_fetchers
async def group_note(request: Request) -> Response:
    """A members-only group's copy of a member's post: served only to signed fetches from a
    server that has a member of the group (404 for anyone else, 401 when unsigned)."""
    found = await local_actor_for_path(request)
    if found is None:
        return json_error(404, "not_found", "no such note")
    urls = request.app.state.urls
    group_uri = urls.actor("Group", found.username)
    uri = f"{group_uri}/notes/{request.path_params['note']}"
    pool = request.app.state.database.pool
    note = await group_notes.get(pool, uri)
    if note is None or note[0] != found.id:
        return json_error(404, "not_found", "no such note")
    headers = request.headers
    if "signature" not in headers and "signature-input" not in headers:
        return json_error(401, "no_signature", "members-only: sign the request")
    ctx = request.app.state.federation
    signed = SignedRequest(
        "GET",
        raw_target(request),
        tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw),
        b"",
        request.app.state.settings.base_url.split("://", 1)[0],
    )
    result = await verify_request(signed, resolve_key=ctx.directory.resolve_key, now=ctx.clock())
    if not result.ok:
        return json_error(401, str(result.reason), result.detail)
    if not await group_notes.member_on(pool, group_uri, host_of(result.key_owner) or ""):
        return json_error(404, "not_found", "no such note")
    private = {"Cache-Control": "private, no-store", "Vary": "Signature, Authorization"}
    if note[2]:
        return ActivityJSONResponse(
            {"id": uri, "type": "Tombstone"}, status_code=410, headers=private
        )
    return ActivityJSONResponse(note[1], headers=private)
